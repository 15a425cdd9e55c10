"""Write the synthetic dataset as each platform's real export format.

The demo then imports these files through the same connectors a unit uses on real
exports, so `shaheen demo` exercises every parser end to end. One file per platform
(two for YouTube, whose subscriber counts come from `channels.list`):

    x_api_v2.jsonl                X API v2 responses, one per account, twarc2-style
    facebook_crowdtangle.csv      CrowdTangle CSV, Facebook layout
    instagram_crowdtangle.csv     CrowdTangle CSV, Instagram layout
    tiktok_research.json          TikTok Research API video query response
    youtube_videos.json           YouTube Data API videos.list response
    youtube_channels.json         YouTube Data API channels.list response
    telegram_result.json          Telegram Desktop export of the whole account
    WhatsApp Chat with Demo Group.txt   WhatsApp Android export, 24-hour, day first
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

from shaheen.demo.generator import DemoAccount, DemoDataset, DemoPost, Label
from shaheen.demo.media import altered, organisation_poster

WHATSAPP_ZONE = ZoneInfo("Asia/Karachi")
_CT_FACEBOOK = (
    "Page Name",
    "User Name",
    "Facebook Id",
    "Page Description",
    "Followers at Posting",
    "Post Created",
    "Type",
    "Total Interactions",
    "Post Views",
    "URL",
    "Message",
)
_CT_INSTAGRAM = (
    "Account",
    "User Name",
    "Followers at Posting",
    "Post Created",
    "Type",
    "Total Interactions",
    "Views",
    "URL",
    "Description",
)


def write_exports(dataset: DemoDataset, folder: Path) -> list[Path]:
    """Write every platform's export of `dataset` into `folder`; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    by_platform: dict[str, list[DemoPost]] = defaultdict(list)
    for post in dataset.posts:
        by_platform[post.record.platform].append(post)
    accounts = {a.record.platform_account_id: a for a in dataset.accounts}
    return [
        _x(folder / "x_api_v2.jsonl", by_platform["x"], accounts),
        _crowdtangle(
            folder / "facebook_crowdtangle.csv", by_platform["facebook"], accounts, instagram=False
        ),
        _crowdtangle(
            folder / "instagram_crowdtangle.csv", by_platform["instagram"], accounts, instagram=True
        ),
        _tiktok(folder / "tiktok_research.json", by_platform["tiktok"], accounts),
        *_youtube(folder, by_platform["youtube"], accounts),
        _telegram(folder / "telegram_result.json", by_platform["telegram"], accounts),
        _whatsapp(folder / "WhatsApp Chat with Demo Group.txt", by_platform["whatsapp"], accounts),
    ]


def _by_account(posts: Iterable[DemoPost]) -> dict[str, list[DemoPost]]:
    grouped: dict[str, list[DemoPost]] = defaultdict(list)
    for post in posts:
        grouped[post.record.platform_account_id].append(post)
    return grouped


def _iso(post: DemoPost) -> str:
    assert post.record.posted_at is not None
    return post.record.posted_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _unix(post: DemoPost) -> int:
    assert post.record.posted_at is not None
    return int(post.record.posted_at.timestamp())


def _x(path: Path, posts: list[DemoPost], accounts: dict[str, DemoAccount]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for account_id, own in _by_account(posts).items():
            account = accounts[account_id].record
            response = {
                "data": [
                    {
                        "id": str(1_800_000_000_000_000_000 + hash_index(p)),
                        "text": p.record.text,
                        "author_id": account_id,
                        "created_at": _iso(p),
                        "lang": "und",
                        "public_metrics": {"impression_count": p.record.reach},
                        "edit_history_tweet_ids": [],
                    }
                    for p in own
                ],
                "includes": {
                    "users": [
                        {
                            "id": account_id,
                            "username": account.handle,
                            "name": account.display_name,
                            "description": account.bio,
                            "verified": account.verified,
                            "public_metrics": {"followers_count": account.followers},
                        }
                    ]
                },
            }
            out.write(json.dumps(response, ensure_ascii=False) + "\n")
    return path


def hash_index(post: DemoPost) -> int:
    """A stable numeric id from the generator's post id (account index, post number)."""
    account, _, number = post.record.platform_post_id.rpartition("-p")
    return int(account.rsplit("-", 1)[1]) * 1000 + int(number)


def _crowdtangle(
    path: Path, posts: list[DemoPost], accounts: dict[str, DemoAccount], *, instagram: bool
) -> Path:
    columns = _CT_INSTAGRAM if instagram else _CT_FACEBOOK
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        for post in posts:
            account = accounts[post.record.platform_account_id].record
            assert post.record.posted_at is not None
            created = post.record.posted_at.strftime("%Y-%m-%d %H:%M:%S UTC")
            if instagram:
                url = f"https://www.instagram.com/p/Demo{hash_index(post)}/"
                writer.writerow(
                    {
                        "Account": account.display_name,
                        "User Name": account.handle,
                        "Followers at Posting": account.followers,
                        "Post Created": created,
                        "Type": "Photo",
                        "Views": post.record.reach,
                        "URL": url,
                        "Description": post.record.text,
                    }
                )
            else:
                page = account.platform_account_id.rsplit("-", 1)[1]
                url = f"https://www.facebook.com/{page}/posts/{hash_index(post)}"
                writer.writerow(
                    {
                        "Page Name": account.display_name,
                        "User Name": account.handle,
                        "Facebook Id": page,
                        "Page Description": account.bio,
                        "Followers at Posting": account.followers,
                        "Post Created": created,
                        "Type": "Status",
                        "Post Views": post.record.reach,
                        "URL": url,
                        "Message": post.record.text,
                    }
                )
    return path


def _tiktok(path: Path, posts: list[DemoPost], accounts: dict[str, DemoAccount]) -> Path:
    videos = [
        {
            "id": 7_400_000_000_000_000_000 + hash_index(p),
            "create_time": _unix(p),
            "username": accounts[p.record.platform_account_id].record.handle,
            "region_code": "PK",
            "video_description": p.record.text,
            "view_count": p.record.reach,
        }
        for p in posts
    ]
    document = {
        "data": {"videos": videos, "cursor": len(videos), "has_more": False, "search_id": "demo"},
        "error": {"code": "ok", "message": ""},
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _youtube(folder: Path, posts: list[DemoPost], accounts: dict[str, DemoAccount]) -> list[Path]:
    videos = [
        {
            "kind": "youtube#video",
            "id": f"demo{hash_index(p):07d}",
            "snippet": {
                "publishedAt": _iso(p).replace(".000", ""),
                "channelId": p.record.platform_account_id,
                "channelTitle": accounts[p.record.platform_account_id].record.display_name,
                "title": p.record.text[:100],
                "description": p.record.text,
            },
            "statistics": {"viewCount": str(p.record.reach)},
        }
        for p in posts
    ]
    channels = [
        {
            "kind": "youtube#channel",
            "id": a.record.platform_account_id,
            "snippet": {
                "title": a.record.display_name,
                "description": a.record.bio,
                # as the Data API writes a channel's handle: without it the handle is lost
                **({"customUrl": f"@{a.record.handle}"} if a.record.handle else {}),
            },
            "statistics": {"subscriberCount": str(a.record.followers)},
        }
        for a in accounts.values()
        if a.record.platform == "youtube"
    ]
    video_path, channel_path = folder / "youtube_videos.json", folder / "youtube_channels.json"
    video_path.write_text(
        json.dumps(
            {"kind": "youtube#videoListResponse", "items": videos}, ensure_ascii=False, indent=1
        ),
        encoding="utf-8",
    )
    channel_path.write_text(
        json.dumps(
            {"kind": "youtube#channelListResponse", "items": channels}, ensure_ascii=False, indent=1
        ),
        encoding="utf-8",
    )
    return [video_path, channel_path]


def _telegram(path: Path, posts: list[DemoPost], accounts: dict[str, DemoAccount]) -> Path:
    photos = path.parent / "photos"
    photos.mkdir(exist_ok=True)
    chats = []
    for number, (account_id, own) in enumerate(_by_account(posts).items(), start=1):
        account = accounts[account_id].record
        chats.append(
            {
                "name": account.display_name,
                "type": "public_channel",
                "id": 1_900_000_000 + number,
                "messages": [
                    {
                        "id": index,
                        "type": "message",
                        "date_unixtime": str(_unix(p)),
                        "from": account.display_name,
                        "from_id": account_id,
                        "text": p.record.text,
                        **_photo(photos, f"{account_id}_{index}", p, index),
                    }
                    for index, p in enumerate(own, start=1)
                ],
            }
        )
    document = {"about": "Synthetic demo export", "chats": {"about": "", "list": chats}}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _photo(folder: Path, name: str, post: DemoPost, index: int) -> dict[str, str]:
    """Every other propaganda post carries a re-upload of its group's poster: cropped,
    resized and re-encoded, as copies circulate (the demo bank holds the originals)."""
    if post.label is not Label.PROPAGANDA or post.organisation is None or index % 2:
        return {}
    target = folder / f"{name}.jpg"
    if not target.exists():
        altered(organisation_poster(post.organisation), seed=index).save(target, quality=70)
    return {"photo": f"photos/{target.name}"}


def whatsapp_number(account_id: str) -> str:
    """The fictional phone number a demo WhatsApp account writes from (000 block)."""
    return f"+92 300 000{int(account_id.rsplit('-', 1)[1]):04d}"


def _whatsapp(path: Path, posts: list[DemoPost], accounts: dict[str, DemoAccount]) -> Path:
    ordered = sorted(posts, key=lambda p: (p.record.posted_at, p.record.platform_post_id))
    lines = ['01/01/2026, 09:00 - +92 300 0000000 created group "Demo Group"']
    for post in ordered:
        assert post.record.posted_at is not None
        local = post.record.posted_at.astimezone(WHATSAPP_ZONE)
        sender = whatsapp_number(post.record.platform_account_id)
        lines.append(f"{local:%d/%m/%Y, %H:%M} - {sender}: {post.record.text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

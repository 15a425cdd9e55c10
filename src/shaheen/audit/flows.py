"""Key rotation: a new signing key, brought in by the old one, recorded in the audit log.

Rotation is the only way a chain comes to trust a second key (`audit/keys.py`). In one
transaction, holding both chains' writer locks: the rotation is written to the audit
log; each chain the old key signs for is sealed with the old key, so its head is
covered; then the new key is pinned with an endorsement, the rotation statement
(chain, old and new fingerprints, the head after which the old key is retired, time)
signed by the old key. The caller swaps the key files after the commit.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.audit import checkpoints
from shaheen.audit import service as audit
from shaheen.audit.keys import Signer, Trust, UntrustedKey, rotation_statement
from shaheen.audit.models import SigningKey
from shaheen.store.base import utcnow
from shaheen.store.engine import serialise_writers


def rotate_key(*, session: Session, old: Signer, new: Signer, actor: str) -> list[str]:
    """Endorse `new` with `old` for every chain that trusts `old`; return those chains.

    Safe to repeat after an interruption: a chain where `new` is already endorsed by
    `old` is left as it is.
    """
    for chain in checkpoints.CHAINS:
        serialise_writers(session, checkpoints.LOCK_KEYS[chain])
    to_rotate, done = [], []
    for chain in checkpoints.CHAINS:
        endorsed = session.scalar(
            select(SigningKey.id).where(
                SigningKey.chain == chain,
                SigningKey.fingerprint == new.fingerprint,
                SigningKey.endorsed_by == old.fingerprint,
            )
        )
        trust = Trust.load(session=session, chain=chain)
        if endorsed is not None:
            done.append(chain)
        elif old.fingerprint in trust.keys and old.fingerprint not in trust.retired_after:
            to_rotate.append(chain)
    if not to_rotate:
        if done:
            return done
        raise UntrustedKey(
            f"the key {old.key_id} in {old.private_path} is not the current key of any chain; "
            "there is nothing to rotate"
        )
    audit.record(
        session=session,
        actor=actor,
        action="signing_key.rotate",
        object_type="signing_key",
        object_id=new.key_id,
        details={"from": old.fingerprint, "to": new.fingerprint, "chains": to_rotate},
    )
    for chain in to_rotate:
        checkpoints.seal(session=session, chain=chain, signer=old)
        top = checkpoints.head(session=session, chain=chain)
        after = top[0] if top else 0
        at = utcnow()
        statement = rotation_statement(
            chain=chain, old=old.fingerprint, new=new.fingerprint, endorsed_after=after, at=at
        )
        session.add(
            SigningKey(
                chain=chain,
                key_id=new.key_id,
                fingerprint=new.fingerprint,
                public_key=new.public_pem.decode("ascii"),
                pinned_at=at,
                endorsed_by=old.fingerprint,
                endorsed_after=after,
                endorsement=old.sign_bytes(statement),
            )
        )
    session.flush()
    return sorted(to_rotate + done)

"""Sentence templates for the synthetic demo data, by label and language.

Everything here is invented for testing and demonstration. Propaganda templates mimic
the *form* of recruitment, glorification and claim posts (calls to join, contact
numbers, "share before it is removed") without reproducing any real group's material.
News and counter-speech templates name the same groups on purpose: they are the hard
negatives a detector must not flag.

Placeholders: {org} Latin name, {org_ur} Urdu-script name, {wing} media wing, {tag}
hashtag, {place} district, {place_ur} district in Urdu script, {phone}, {handle}.
"""

from __future__ import annotations

PROPAGANDA: dict[str, tuple[str, ...]] = {
    "en": (
        "{org} calls on the youth to join the caravan. Contact {phone} for details {tag}",
        "New release from {wing}: the path of our brothers continues. Share before it is removed",
        "Glory to the fighters of {org}. Our martyrs light the way {tag}",
        "{org} claims responsibility for the operation in {place}. More will follow",
        "Brothers, the call of {org} is waiting for you. Message {handle} to join",
        "Watch the latest {wing} video and spread it everywhere {tag}",
    ),
    "ur": (
        "{org_ur} میں شامل ہو جاؤ، قافلہ آگے بڑھ رہا ہے۔ رابطہ {phone}",
        "{wing} کی نئی ویڈیو جاری، زیادہ سے زیادہ شیئر کریں",
        "{org_ur} زندہ باد، ہمارے شہداء ہمارا فخر ہیں",
        "{place_ur} میں کارروائی کی ذمہ داری {org_ur} قبول کرتی ہے",
        "نوجوانو! {org_ur} کا قافلہ تمہارا انتظار کر رہا ہے",
    ),
    "roman_ur": (
        "{org} mein shamil ho jao bhaiyon, qafla aage barh raha hai. Rabta: {phone}",
        "{wing} ki nayi video aa gayi hai, zyada se zyada share karo {tag}",
        "{org} zindabad! hamare shaheed hamara fakhr hain",
        "{place} ki karwai ki zimmedari {org} qabool karti hai",
        "naujawano, {org} ka qafla tumhara intezar kar raha hai. {handle} se rabta karo",
    ),
}

NEWS_OR_COUNTER: dict[str, tuple[str, ...]] = {
    "en": (
        "Security forces say {org} claimed the attack in {place}; "
        "officials condemned the violence.",
        "Analysis: how {org} uses social media to recruit, and what platforms are doing about it",
        "{org} militants killed in an operation in {place}, officials say",
        "Parents and clerics in {place} reject the violence of {org} at a peace rally",
        "Court hands down sentence in {org} financing case, prosecutors say",
        "Explainer: why the government proscribed {org} and what the listing means",
    ),
    "ur": (
        "{place_ur} میں سیکیورٹی فورسز کی کارروائی، {org_ur} کے شدت پسند ہلاک",
        "حکومت نے {org_ur} کے حملے کی شدید مذمت کی",
        "علماء نے {org_ur} کی دہشت گردی کو حرام قرار دے دیا",
        "{place_ur} میں امن ریلی، شہریوں نے {org_ur} کو مسترد کر دیا",
    ),
    "roman_ur": (
        "{place} mein hamla, hukumat ne {org} ki shadeed mazammat ki",
        "Ulema ne {org} ke tashaddud ko haram qarar de diya",
        "{place} mein aman rally, logon ne {org} ko mustarad kar diya",
        "khabar: {org} ke khilaf operation mein kai giraftariyan",
    ),
}

OTHER: dict[str, tuple[str, ...]] = {
    "en": (
        "Cricket tonight: Peshawar against Quetta, who are you backing?",
        "Rain expected in {place} this weekend, drive safely",
        "Best biryani in Karachi? Drop your suggestions below",
        "Our school's science fair in {place} was a great success",
        "Traffic on the motorway is heavy this evening",
    ),
    "ur": (
        "آج موسم بہت خوشگوار ہے",
        "کرکٹ میچ کا نتیجہ کیا رہا؟",
        "{place_ur} میں کتاب میلہ شروع ہو گیا",
        "عید کی تیاریاں عروج پر ہیں",
    ),
    "roman_ur": (
        "aaj mausam bohat acha hai yaar",
        "kal match dekhne chalo ge?",
        "{place} mein naya dhaba khula hai, chai zabardast hai",
        "eid ki shopping abhi tak nahi hui",
    ),
}

PLACES: tuple[tuple[str, str], ...] = (
    ("Khyber", "خیبر"),
    ("Bannu", "بنوں"),
    ("Kech", "کیچ"),
    ("Quetta", "کوئٹہ"),
    ("Peshawar", "پشاور"),
    ("Gwadar", "گوادر"),
    ("Dera Ismail Khan", "ڈیرہ اسماعیل خان"),
)

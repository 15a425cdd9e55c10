"""The generator of the bootstrap training corpus: synthetic, labelled, in four languages.

Shaheen ships no real extremist content, so its first classifier learns from sentences
composed here: an opener, a body and a closer per label and language, with
organisation names (from the knowledge base, in the language's script), media wings,
places, hashtags and fictional phone numbers filled in. Propaganda bodies follow the
forms units see (calls to join, glorification of fighters and "martyrs", attack claims,
promotion of releases, fundraising); the news-or-counter bodies name the same groups in
reporting, condemnation, court and counter-speech forms, as the hard negatives; "other"
is everyday chatter, including words that look like acronyms (let, tip, bra).

`write_corpus()` regenerates `detect/data/seed_corpus.csv` deterministically; run
`python -m shaheen.demo.seed_corpus` after changing a sentence here (it also recomputes
the shipped embeddings), and a test checks the CSV still equals this output. Runtime
code reads only the CSV (`detect.classifier.SEED_CORPUS`): this sentence bank lives with
the demo's other synthetic data, not in a runtime module. The held-out evaluation set in
the tests is written separately, by hand, in other words: it is never generated here and
never trained on.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from shaheen.detect.classifier import SEED_CORPUS
from shaheen.detect.enums import LABELS

ORGS_LATIN = (
    "Tehreek-e-Taliban Pakistan",
    "TTP",
    "Tehrik-i-Taliban",
    "Balochistan Liberation Army",
    "BLA",
    "Baloch Liberation Front",
    "BLF",
    "Islamic State Khorasan",
    "ISKP",
    "Daesh",
    "Jaish-e-Mohammad",
    "Lashkar-e-Taiba",
    "Lashkar-e-Jhangvi",
    "Jamaat-ul-Ahrar",
    "Al-Qaeda",
    "AQIS",
    "Majeed Brigade",
)
ORGS_ARABIC = (
    "تحریک طالبان پاکستان",
    "تحریک طالبان",
    "بلوچستان لبریشن آرمی",
    "بلوچستان لبریشن فرنٹ",
    "داعش",
    "دولت اسلامیہ خراسان",
    "جیش محمد",
    "لشکر طیبہ",
    "لشکر جھنگوی",
    "جماعت الاحرار",
    "القاعدہ",
    "مجید بریگیڈ",
)
WINGS_LATIN = ("Umar Media", "Hakkal", "Al-Azaim Foundation", "As-Sahab", "Amaq")
WINGS_ARABIC = ("عمر میڈیا", "ہکل", "العزائم", "السحاب")
PLACES_LATIN = (
    "Bannu",
    "Kech",
    "Quetta",
    "Khyber",
    "Peshawar",
    "Gwadar",
    "Dera Ismail Khan",
    "Lakki Marwat",
    "Turbat",
    "Bajaur",
    "Chitral",
    "Zhob",
)
PLACES_ARABIC = (
    "بنوں",
    "کیچ",
    "کوئٹہ",
    "خیبر",
    "پشاور",
    "گوادر",
    "ڈیرہ اسماعیل خان",
    "لکی مروت",
    "تربت",
    "باجوڑ",
)
TAGS = ("#TTP", "#BLA", "#ISKP", "#Caravan", "#Jihad", "#Khurasan", "#Hakkal")

BANKS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {
    "en": {
        "propaganda": (
            (
                "",
                "Brothers,",
                "O youth of Pakistan,",
                "Attention believers:",
                "Listen well:",
                "Message to the youth:",
                "Good news!",
            ),
            (
                "join the ranks of {org} today",
                "the caravan of {org} needs you",
                "{org} is calling you to the front",
                "stand with the fighters of {org}",
                "our martyrs of {org} have shown the path",
                "{org} claims the operation in {place}",
                "the lions of {org} struck the enemy in {place}",
                "watch the new release from {wing} and share it widely",
                "support {org} with your wealth and your life",
                "{org} will not stop until victory",
                "glory to the heroes of {org}",
                "new video by {wing}: the path of our heroes",
                "{org} takes responsibility for the blast in {place}",
                "take up arms and march with {org}",
                "pledge your allegiance to {org}",
                "the soldiers of {org} will avenge our brothers",
                "donate to the fighters of {org} through the number below",
                "salute to the brave fighters of {org}",
                "may Allah grant victory to {org}",
                "pray for the mujahideen of {org} and send them support",
                "{wing} presents the story of our fallen martyrs",
            ),
            (
                "",
                "Share before it is deleted.",
                "Contact us on Telegram.",
                "Message {phone} to join.",
                "Victory is near.",
                "{tag}",
                "Spread the word.",
                "Do not stay behind.",
                "Allah is with the patient.",
            ),
        ),
        "news_or_counter": (
            ("", "Breaking:", "Update:", "Report:", "Opinion:", "Analysis:", "Editorial:"),
            (
                "security forces say {org} was behind the attack in {place}",
                "{org} militants killed in an operation near {place}, officials said",
                "the government condemned the violence claimed by {org}",
                "analysts explain how {org} recruits young people online",
                "police arrest suspects linked to {org} in {place}",
                "families of victims in {place} demand justice after the {org} attack",
                "religious scholars declare the acts of {org} un-Islamic",
                "court convicts three men of financing {org}",
                "the state must counter the narrative of {org}",
                "researchers track {org} propaganda videos spreading on social media",
                "the interior ministry lists {org} as a proscribed organisation",
                "a peace march in {place} rejects {org} and its violence",
                "teachers in {place} warn students against {org} recruiters",
                "platforms removed accounts linked to {org}, the regulator said",
                "survivors of the {place} bombing speak out against {org}",
                "the UN sanctions committee added {org} leaders to its list",
                "do not share {org} videos, report the accounts instead",
                "{org} wants your attention, do not give it to them",
                "a former member of {org} tells how he was deceived",
                "why young people in {place} say no to {org}",
                "the funeral of the {org} victims was held in {place}",
                "an op-ed on the failure to stop {org} online",
            ),
            (
                "",
                "Read more on our website.",
                "Reporting by our correspondent in {place}.",
                "Officials urged calm.",
                "Details to follow.",
                "Our thoughts are with the families.",
                "Report such content to the authorities.",
            ),
        ),
        "other": (
            ("", "Guys,", "Update:", "Friends,", "So"),
            (
                "the cricket match in {place} was amazing tonight",
                "rain is expected in {place} this weekend",
                "the best biryani is still in Karachi",
                "exams start next week and I have not studied",
                "let me know if you need a lift",
                "here is a tip: book your train tickets early",
                "the new road in {place} finally opened",
                "prices of vegetables went up again",
                "our wedding photos are finally ready",
                "who is watching the final tomorrow",
                "the power has been out for six hours",
                "my brother got admission in the engineering university",
                "the bra shop in the mall is closing down",
                "traffic on the motorway is terrible",
                "Eid shopping done, only shoes left",
                "the new phone has a great camera",
                "happy birthday to my dearest sister",
                "congratulations on your new job",
                "Jummah Mubarak to everyone",
                "may Allah bless your family this Ramadan",
                "we are going to my cousin's wedding in {place}",
                "the doctor said my father is better now",
                "anyone knows a good mechanic near {place}",
                "selling my old motorbike, good condition",
                "the university results are out",
                "our team lost the final by two runs",
                "the mangoes this year are very sweet",
                "I am stuck at the office again",
                "the kids have summer vacations from Monday",
                "gas prices have gone up again",
                "watching a new drama with the family tonight",
                "the flight to Dubai was delayed",
                "please pray for my grandmother's health",
                "thank you all for the birthday wishes",
                "the new cafe in {place} serves great chai",
                "our village finally got a paved road",
            ),
            (
                "",
                "What do you think?",
                "Any suggestions?",
                ":)",
                "Alhamdulillah.",
                "So happy!",
                "Thanks everyone.",
                "Inshallah.",
            ),
        ),
    },
    "ur": {
        "propaganda": (
            ("", "بھائیو،", "نوجوانو!", "اے مومنو،", "خوشخبری!"),
            (
                "{org} کے قافلے میں شامل ہو جاؤ",
                "{org} کے مجاہدین نے {place} میں دشمن پر حملہ کیا",
                "{org} {place} میں کارروائی کی ذمہ داری قبول کرتی ہے",
                "{wing} کی نئی ویڈیو دیکھیں اور آگے پھیلائیں",
                "{org} کے شہداء ہمارا فخر ہیں",
                "{org} تمہیں پکار رہی ہے",
                "{org} زندہ باد",
                "اپنے مال اور جان سے {org} کی مدد کرو",
                "فتح قریب ہے، {org} کے ساتھ کھڑے ہو جاؤ",
                "{org} کے شیر دشمن سے بدلہ لیں گے",
                "{org} کے ہاتھ پر بیعت کرو",
                "{wing} پیش کرتا ہے ہمارے شہداء کی داستان",
                "{org} کے مجاہدین کو سلام",
                "اللہ {org} کو فتح عطا کرے",
                "{org} کے مجاہدین کے لیے مالی مدد بھیجیں",
                "{org} کے جانبازوں کے لیے دعا کرو",
            ),
            (
                "",
                "ڈیلیٹ ہونے سے پہلے شیئر کریں",
                "رابطہ {phone}",
                "{tag}",
                "ٹیلیگرام پر ہم سے رابطہ کریں",
                "پیچھے مت رہو",
            ),
        ),
        "news_or_counter": (
            ("", "خبر:", "تازہ ترین:", "رپورٹ:", "اداریہ:"),
            (
                "سیکیورٹی فورسز کے مطابق {place} میں حملے کے پیچھے {org} کا ہاتھ تھا",
                "{place} کے قریب آپریشن میں {org} کے دہشت گرد ہلاک",
                "حکومت نے {org} کے حملے کی شدید مذمت کی",
                "علماء نے {org} کی کارروائیوں کو غیر اسلامی قرار دیا",
                "{place} میں {org} سے تعلق رکھنے والے ملزمان گرفتار",
                "عدالت نے {org} کی مالی معاونت کے جرم میں سزا سنا دی",
                "وزارت داخلہ نے {org} کو کالعدم قرار دے دیا",
                "{place} میں امن مارچ، شہریوں نے {org} کو مسترد کر دیا",
                "ماہرین کے مطابق {org} سوشل میڈیا پر نوجوانوں کو ورغلا رہی ہے",
                "{place} دھماکے کے متاثرین نے {org} کے خلاف آواز اٹھائی",
                "{org} کی ویڈیوز آگے مت بھیجیں بلکہ رپورٹ کریں",
                "{org} کے سابق رکن نے بتایا کہ اسے کیسے دھوکہ دیا گیا",
                "{place} میں {org} کے حملے کے متاثرین کی تدفین کر دی گئی",
            ),
            (
                "",
                "مزید تفصیلات کے لیے ہماری ویب سائٹ دیکھیں",
                "ہمارے نمائندے کی رپورٹ",
                "حکام نے شہریوں سے پرامن رہنے کی اپیل کی",
            ),
        ),
        "other": (
            ("", "دوستو،", "سنو،"),
            (
                "آج {place} میں بارش کا امکان ہے",
                "کرکٹ میچ بہت دلچسپ رہا",
                "بازار میں سبزیوں کی قیمتیں بڑھ گئیں",
                "امتحانات کی تیاری زوروں پر ہے",
                "عید کی خریداری مکمل ہو گئی",
                "شادی کی تقریب بہت اچھی رہی",
                "{place} میں نئی سڑک کا افتتاح کر دیا گیا",
                "چائے کے بغیر صبح ادھوری ہے",
                "بجلی چھ گھنٹے سے بند ہے",
                "میرے بھائی کو یونیورسٹی میں داخلہ مل گیا",
                "میری بہن کو سالگرہ بہت بہت مبارک ہو",
                "نئی نوکری ملنے پر مبارکباد",
                "سب کو جمعہ مبارک",
                "اللہ آپ کے گھر والوں کو رمضان میں برکت دے",
                "ہم {place} میں کزن کی شادی پر جا رہے ہیں",
                "ڈاکٹر نے کہا ابو کی طبیعت بہتر ہے",
                "کسی کو {place} کے قریب اچھا مکینک معلوم ہے؟",
                "اپنی پرانی موٹر سائیکل بیچ رہا ہوں",
                "یونیورسٹی کا نتیجہ آ گیا",
                "اس سال آم بہت میٹھے ہیں",
                "بچوں کی چھٹیاں پیر سے شروع",
                "دبئی کی پرواز تاخیر کا شکار ہو گئی",
                "دادی کی صحت کے لیے دعا کریں",
                "سالگرہ کی مبارکباد پر سب کا شکریہ",
                "ہمارے گاؤں میں آخرکار پکی سڑک بن گئی",
                "آج گھر والوں کے ساتھ نیا ڈرامہ دیکھیں گے",
                "دفتر میں آج پھر دیر ہو گئی",
            ),
            ("", "آپ کا کیا خیال ہے؟", "الحمدللہ", "بہت خوشی ہوئی", "شکریہ", "ان شاء اللہ"),
        ),
    },
    "roman_ur": {
        "propaganda": (
            ("", "bhaiyon,", "naujawano!", "aey momino,", "khushkhabri!"),
            (
                "{org} ke qaflay mein shamil ho jao",
                "{org} ke mujahideen ne {place} mein dushman par hamla kiya",
                "{place} ki karwai ki zimmedari {org} qabool karti hai",
                "{wing} ki nayi video dekho aur aage phelao",
                "{org} ke shuhada hamara fakhr hain",
                "{org} tumhein pukar rahi hai",
                "{org} zindabad",
                "apne maal aur jaan se {org} ki madad karo",
                "fatah qareeb hai, {org} ke sath kharay ho jao",
                "{org} ke sher dushman se badla lenge",
                "{org} ke haath par bayat karo",
                "{wing} pesh karta hai hamare shaheedon ki dastaan",
                "{org} ke mujahideen ko salam",
                "Allah {org} ko fatah ata kare",
                "{org} ke mujahideen ke liye maali madad bhejo",
                "{org} ke janbazon ke liye dua karo",
            ),
            (
                "",
                "delete hone se pehle share karo",
                "rabta: {phone}",
                "{tag}",
                "telegram par rabta karo",
                "peeche mat raho",
            ),
        ),
        "news_or_counter": (
            ("", "khabar:", "taza tareen:", "report:"),
            (
                "security forces ke mutabiq {place} hamle ke peeche {org} tha",
                "{place} ke qareeb operation mein {org} ke dehshatgard halaak",
                "hukumat ne {org} ke hamle ki shadeed mazammat ki",
                "ulema ne {org} ki karwaiyon ko ghair islami qarar diya",
                "{place} mein {org} se talluq rakhne wale mulzim giraftar",
                "adalat ne {org} ki funding ke jurm mein saza sunai",
                "wazarat e dakhla ne {org} ko kaladam qarar de diya",
                "{place} mein aman march, logon ne {org} ko mustarad kar diya",
                "mahireen ke mutabiq {org} social media par naujawanon ko warghala rahi hai",
                "{place} dhamake ke mutasireen ne {org} ke khilaf awaz uthai",
                "{org} ki videos aage mat bhejein balkay report karein",
                "{org} ke sabiq rukn ne bataya ke usay kaise dhoka diya gaya",
                "{place} mein {org} hamle ke mutasireen ki tadfeen kar di gayi",
            ),
            (
                "",
                "mazeed tafseelat hamari website par",
                "hamare numainday ki report",
                "hukkam ne awam se pur aman rehne ki appeal ki",
            ),
        ),
        "other": (
            ("", "doston,", "suno,", "yaar"),
            (
                "aaj {place} mein barish ka imkan hai",
                "cricket match bohat zabardast tha",
                "bazaar mein sabziyon ki qeematein barh gayi",
                "imtehan ki tayyari chal rahi hai",
                "eid ki shopping ho gayi",
                "shadi ki taqreeb bohat achi rahi",
                "{place} mein nayi sarak ka iftitah ho gaya",
                "chai ke baghair subah adhoori hai",
                "bijli chay ghante se band hai",
                "mere bhai ko university mein dakhla mil gaya",
                "meri behan ko salgirah bohat mubarak ho",
                "nayi naukri milne par mubarakbad",
                "sab ko jummah mubarak",
                "Allah aap ke ghar walon ko ramzan mein barkat de",
                "hum {place} mein cousin ki shadi par ja rahe hain",
                "doctor ne kaha abbu ki tabiyat behtar hai",
                "kisi ko {place} ke qareeb acha mechanic pata hai?",
                "apni purani motorcycle bech raha hoon",
                "university ka result aa gaya",
                "is saal aam bohat meethay hain",
                "bachon ki chuttiyan peer se shuru",
                "dubai ki flight late ho gayi",
                "dadi ki sehat ke liye dua karein",
                "salgirah ki mubarakbad par sab ka shukriya",
                "hamare gaon mein aakhirkar pakki sarak ban gayi",
                "aaj ghar walon ke sath naya drama dekhenge",
                "office mein aaj phir der ho gayi",
            ),
            (
                "",
                "aap ka kya khayal hai?",
                "alhamdulillah",
                "bohat khushi hui",
                "shukriya",
                "inshallah",
            ),
        ),
    },
    "ps": {
        "propaganda": (
            ("", "ځوانانو،", "ورونو،"),
            (
                "د {org} له کاروان سره یوځای شئ",
                "{org} د {place} د برید مسؤلیت مني",
                "د {org} شهیدان زموږ ویاړ دی",
                "{org} تاسو ته بلنه درکوي",
                "د {wing} نوې ویډیو وګورئ او خپره یې کړئ",
                "د {org} مجاهدینو په {place} کې دښمن ووهه",
                "د {org} مجاهدینو ته سلام",
                "الله دې {org} ته بریا ورکړي",
                "د {org} مجاهدینو سره مالي مرسته وکړئ",
            ),
            ("", "مخکې له دې چې ړنګ شي شریک یې کړئ", "اړیکه {phone}", "{tag}"),
        ),
        "news_or_counter": (
            ("", "خبر:", "راپور:"),
            (
                "امنیتي ځواکونو وویل چې په {place} کې د برید تر شا {org} وه",
                "حکومت د {org} برید په کلکه وغانده",
                "په {place} کې د {org} ملاتړي ونیول شول",
                "علماوو د {org} کړنې غیر اسلامي وبللې",
                "په {place} کې د {org} ضد سوله ییز لاریون",
            ),
            ("", "نور معلومات زموږ په ویبپاڼه کې"),
        ),
        "other": (
            ("", "ملګرو،"),
            (
                "نن ورځ هوا ښه ده",
                "د کرکټ لوبه ډېره په زړه پورې وه",
                "په بازار کې بیې لوړې شوې",
                "د اختر تیاري روانه ده",
                "په {place} کې نوی سړک پرانیستل شو",
                "خور ته مې د زیږون ورځ مبارک",
                "د نوې دندې مبارکي",
                "ټولو ته جمعه مبارک",
                "موږ په {place} کې د تره زوی واده ته ځو",
                "ډاکټر وویل پلار مې اوس ښه دی",
                "د پوهنتون پایلې راغلې",
                "سږ کال آم ډېر خواږه دي",
                "د نیا د روغتیا لپاره دعا وکړئ",
                "زموږ کلي ته پخه سړک جوړ شو",
                "نن بیا دفتر کې ناوخته شوم",
            ),
            ("", "ستاسو نظر څه دی؟", "مننه", "ان شاء الله"),
        ),
    },
}
PER_CELL = {"en": 300, "ur": 260, "roman_ur": 260, "ps": 150}


def compose(rng: random.Random, language: str, label: str) -> str:
    """One synthetic sentence of `label` in `language`."""
    openers, bodies, closers = BANKS[language][label]
    arabic = language in ("ur", "ps")
    body = rng.choice(bodies)
    text = " ".join(part for part in (rng.choice(openers), body, rng.choice(closers)) if part)
    return text.format(
        org=rng.choice(ORGS_ARABIC if arabic and rng.random() < 0.85 else ORGS_LATIN),
        wing=rng.choice(WINGS_ARABIC if arabic and rng.random() < 0.7 else WINGS_LATIN),
        place=rng.choice(PLACES_ARABIC if arabic else PLACES_LATIN),
        tag=rng.choice(TAGS),
        phone=f"0300-000{rng.randint(1000, 9999)}",
    )


def rows(seed: int = 11) -> list[tuple[str, str, str]]:
    """(text, label, language) for every example, deduplicated, in a stable order."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[tuple[str, str, str]] = []
    for language, count in PER_CELL.items():
        for label in LABELS:
            attempts = 0
            made = 0
            while made < count and attempts < count * 20:
                attempts += 1
                text = compose(rng, language, label)
                if text not in seen:
                    seen.add(text)
                    out.append((text, label, language))
                    made += 1
    return out


def write_corpus(path: Path = SEED_CORPUS) -> int:
    """Regenerate the corpus file; return the number of examples."""
    examples = rows()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "label", "language"])
        writer.writerows(examples)
    return len(examples)


if __name__ == "__main__":  # python -m shaheen.demo.seed_corpus  (about a minute: embeddings)
    import logging

    from shaheen.detect.embeddings import write_seed_embeddings

    logging.basicConfig(level=logging.INFO)
    logging.getLogger(__name__).info("wrote %d examples to %s", write_corpus(), SEED_CORPUS)
    write_seed_embeddings(SEED_CORPUS, [text for text, _, _ in rows()])

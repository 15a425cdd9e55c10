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
#: Formal prose beside the chatter and the reports above: sport, medicine, technology,
#: finance, travel, official statements and court reporting as "other" (with the
#: acronyms that look like a group's: TTP the blood disorder, cyber TTPs, the BLF book
#: festival, a BLA degree, the ISK krona, an SSP of police); and reporting that sounds
#: like a claim ("X claimed responsibility, police said", "the minister blamed X") as
#: the hard negatives of news_or_counter. Without them the "other" examples were all
#: short chat, and formal prose about cricket or tourism read like propaganda.
Bank = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
FORMAL: dict[str, dict[str, list[Bank]]] = {
    "en": {
        "propaganda": [
            (
                ("", "", "Allahu Akbar!", "Glad tidings:", "To the youth:"),
                (
                    "{org} raided the enemy camp in {place} and seized their weapons",
                    "our sarmachars of {org} struck the occupier's convoy near {place}",
                    "the fidayeen of {org} are the honour of our land",
                    "{org} fighters blocked the road for hours and the operation goes on",
                    "the struggle of {org} will not end, join the struggle today",
                    "pick up the rifle of every fallen martyr of {org}",
                    "{wing} releases the testament of a fidai, download it now",
                    "the taghut army fled when {org} attacked in {place}",
                    "come to the mountains, {org} is waiting for brave young men",
                    "pay your zakat to the fighters of {org} and earn paradise",
                    "our brothers of {org} avenged the blood of the martyrs in {place}",
                    "the Khilafah needs your hands, stand with {org}",
                    "read and spread the new magazine of {wing}",
                ),
                ("", "", "The war goes on.", "Remember us in your prayers.", "{tag}", "Baqiya."),
            ),
        ],
        "news_or_counter": [
            (
                ("", "", "Police:", "Officials:"),
                (
                    "two policemen martyred on patrol in {place}; {org} said it did it, police say",
                    "the DPO of {place} said {org} gunmen fired on the checkpost and fled",
                    "the CTD detained three suspected {org} facilitators in {place}",
                    "the ISPR said soldiers martyred in {place} were hit by {org} militants",
                    "{org} put out a statement owning the raid; officials called it propaganda",
                    "funeral prayers of constables martyred in the {org} assault were offered",
                    "the chief minister chaired a meeting on the {org} threat in {place}",
                ),
                ("", "", "An FIR has been registered.", "A search operation is under way."),
            ),
            (
                ("", "", "Please read:", "A reminder:"),
                (
                    "{org} bombs markets and mosques, there is nothing holy in it",
                    "do not be fooled by {org}, they sell death to our young men",
                    "if you see {wing} clips, report the account and do not forward them",
                    "{org} has brought nothing but funerals to our valleys",
                    "politics, not the gun: {org} has failed our youth",
                    "parents, watch who your children meet online: {org} recruiters lie",
                    "the propaganda of {org} is lies from start to end",
                    "ex-members of {org} speak about fear and broken promises",
                    "we buried our neighbours after the {org} blast, never forgive the killers",
                    "all schools of thought agree that the attacks of {org} are haram",
                ),
                ("", "", "Stay safe.", "Share this instead.", "#SayNoToTerror"),
            ),
            (
                ("", "", "Breaking:", "Update:", "Latest:"),
                (
                    "{org} claimed responsibility for the attack in {place}, police said",
                    "a spokesman for {org} claimed the bombing in a statement, officials said",
                    "the interior minister blamed {org} for the dastardly attack in {place}",
                    "{org} said it was behind the ambush, a claim the army could not verify",
                    "police said the suicide bomber belonged to {org}",
                    "{org} claimed the killing of two soldiers, but the military denied it",
                    "the prime minister vowed to eliminate {org} after the attack in {place}",
                    "counter-terrorism police said the cell was planning attacks for {org}",
                    "an anti-terrorism court sentenced a {org} commander to life imprisonment",
                    "the foreign office said {org} operates from sanctuaries across the border",
                    "no group has claimed the attack yet, but officials suspect {org}",
                    "the province announced compensation for victims of the {org} attack",
                    "the army said eleven {org} fighters died in an intelligence-based operation",
                    "{org} took responsibility for the blast in a message to journalists",
                ),
                (
                    "",
                    "",
                    "Investigations are under way.",
                    "Reporting by our staff.",
                    "The claim could not be independently verified.",
                    "Security has been tightened.",
                ),
            ),
        ],
        "other": [
            (
                ("", "", "Cricket:", "Sport:"),
                (
                    "the strike bowler's fiery spell blew away the top order in {place}",
                    "an all-out attack with the new ball left the batting side reeling",
                    "the opener's blast of 80 off 40 balls sealed the chase",
                    "the captain backed his attacking field settings after the win",
                    "the team will launch its campaign against the defending champions on Friday",
                    "the young pacer took five wickets and was named player of the match",
                    "the hockey side attacked down the flanks and scored twice late on",
                ),
                ("", "", "What a game.", "Scorecard inside."),
            ),
            (
                ("", "", "", "Update:", "In brief:", "Today:"),
                (
                    "the fast bowlers kept an attacking line and the visitors folded in {place}",
                    "an attacking bowling spell after lunch changed the match, the captain said",
                    "the home side went for a first-strike approach with the new ball",
                    "the hockey federation named a new coach ahead of the Asian Games",
                    "the squash champion won the final in straight games",
                    "the stadium in {place} will host two one-day matches next month",
                    "TTP is a rare blood disorder in which small clots form throughout the body",
                    "doctors treat acquired TTP with plasma exchange and immune therapy",
                    "patients with suspected TTP should be referred to a haematologist at once",
                    "the hospital in {place} opened a new dialysis ward on Monday",
                    "a vaccination drive against measles begins in {place} schools next week",
                    "the health department reported a rise in dengue cases after the rains",
                    "the security team mapped the attackers' TTPs to the MITRE ATT&CK framework",
                    "understanding adversary TTPs helps defenders prioritise their detections",
                    "the telecom regulator auctioned new spectrum for faster mobile internet",
                    "a software update fixes a flaw that let attackers bypass the login page",
                    "the startup raised seed funding to build an app for farmers",
                    "the State Bank kept the policy rate unchanged, citing easing inflation",
                    "the rupee closed slightly weaker against the dollar in interbank trading",
                    "the Icelandic krona, ISK, strengthened after the central bank raised rates",
                    "a return flight to Reykjavik costs about ISK 60,000 in winter",
                    "the stock exchange index gained 400 points in thin trading",
                    "tourists are flocking to the northern valleys as the roads reopen",
                    "the tourism department launched a guide to heritage sites in {place}",
                    "the new airline route links {place} with Dubai three times a week",
                    "the ministry announced that schools will remain closed on Friday",
                    "the provincial government approved funds for new hospitals",
                    "the election commission published the final list of polling stations",
                    "the high court adjourned the hearing of the land dispute until next month",
                    "a sessions court granted bail to the accused in the fraud case",
                    "the court ordered the city to remove encroachments from the market",
                    "she graduated with a BLA in landscape design and now works on city parks",
                    "the BLF returns this winter with readings by young novelists and poets",
                    "book lovers queued for signed copies at the BLF book fair",
                    "the SSP said the stolen car was recovered and two men were arrested",
                    "SSP traffic announced road diversions for the cricket final",
                    "BRA beat ARG 2-1 in the friendly after a late header",
                    "TIP: back up your phone before installing the update",
                    "police said the robbers fled with cash after the bank attack in {place}",
                    "the striker claimed the goal but the referee ruled it offside",
                ),
                (
                    "",
                    "",
                    "Details inside.",
                    "More on page 3.",
                    "Officials said.",
                    "The decision takes effect on Monday.",
                ),
            ),
        ],
    },
    "ur": {
        "propaganda": [
            (
                ("", "", "اللہ اکبر!", "نوجوانو!"),
                (
                    "{org} نے {place} میں دشمن کے کیمپ پر دھاوا بول کر اسلحہ قبضے میں لے لیا",
                    "{org} کے سرمچاروں نے {place} کے قریب قابض فوج کے قافلے کو نشانہ بنایا",
                    "{org} کے فدائین ہماری سرزمین کی عزت ہیں",
                    "{org} کی جدوجہد جاری رہے گی، آج ہی اس جدوجہد کا حصہ بنو",
                    "{org} کا ہر شہید آزادی کا بیج ہے، اس کی بندوق اٹھا لو",
                    "{wing} نے فدائی کا وصیت نامہ جاری کیا",
                    "طاغوتی فوج {place} میں {org} کے حملے کے بعد بھاگ کھڑی ہوئی",
                    "پہاڑوں کی طرف آؤ، {org} بہادر نوجوانوں کا انتظار کر رہی ہے",
                    "{org} کے مجاہدین کو اپنی زکوٰۃ دو اور جنت کماؤ",
                ),
                ("", "", "جنگ جاری ہے", "ہمیں اپنی دعاؤں میں یاد رکھیں", "{tag}"),
            ),
        ],
        "news_or_counter": [
            (
                ("", "", "پولیس:", "سرکاری ذرائع:"),
                (
                    "{place} میں گشت پر حملہ، دو اہلکار شہید، ایس ایچ او: {org} نے دعویٰ کیا",
                    "ڈی پی او {place} کے مطابق {org} کے مسلح افراد فائرنگ کر کے فرار ہو گئے",
                    "سی ٹی ڈی نے {place} میں چھاپہ مار کر {org} کے سہولت کار پکڑ لیے",
                    "{org} نے بیان میں واقعے کی ذمہ داری لی، کمشنر نے اسے پروپیگنڈا کہا",
                    "{place} میں {org} کے حملے میں شہید اہلکاروں کی نماز جنازہ ادا کر دی گئی",
                    "وزیر اعلیٰ نے {place} میں {org} کے خطرے پر اجلاس کی صدارت کی",
                ),
                ("", "", "مقدمہ درج کر لیا گیا", "سرچ آپریشن جاری ہے"),
            ),
            (
                ("", "", "گزارش:"),
                (
                    "{org} بازاروں اور مسجدوں میں دھماکے کرتی ہے، اس میں کچھ مقدس نہیں",
                    "{org} کے دھوکے میں نہ آئیں، یہ ہمارے نوجوانوں کو موت بیچتے ہیں",
                    "{wing} کے کلپ نظر آئیں تو اکاؤنٹ رپورٹ کریں، آگے نہ بھیجیں",
                    "{org} نے ہماری وادیوں کو جنازوں کے سوا کچھ نہیں دیا",
                    "{org} کے بھرتی کرنے والے دوست بن کر آتے ہیں، والدین خیال رکھیں",
                    "{org} کا پروپیگنڈا سراسر جھوٹ ہے",
                    "{org} کے دھماکے کے بعد ہم نے پڑوسی دفنائے، قاتلوں کو معاف نہیں کریں گے",
                ),
                ("", "", "محفوظ رہیں", "یہ پیغام آگے بڑھائیں"),
            ),
            (
                ("", "", "خبر:", "تازہ ترین:"),
                (
                    "پولیس کے مطابق {org} نے {place} حملے کی ذمہ داری قبول کر لی ہے",
                    "وزیر داخلہ نے {place} دھماکے کا ذمہ دار {org} کو قرار دیا",
                    "حکام کا کہنا ہے کہ خودکش حملہ آور کا تعلق {org} سے تھا",
                    "{org} کے ترجمان نے حملے کا دعویٰ کیا تاہم فوج نے اس کی تردید کی",
                    "انسداد دہشت گردی کی عدالت نے {org} کے کمانڈر کو عمر قید کی سزا سنائی",
                    "وزیراعظم نے {place} حملے کے بعد {org} کے خاتمے کا عزم ظاہر کیا",
                    "سی ٹی ڈی کے مطابق گرفتار ملزمان {org} کے لیے حملوں کی منصوبہ بندی کر رہے تھے",
                    "فوج کے مطابق {place} میں آپریشن کے دوران {org} کے گیارہ جنگجو مارے گئے",
                    "ابھی کسی گروہ نے ذمہ داری قبول نہیں کی لیکن حکام کو {org} پر شبہ ہے",
                ),
                (
                    "",
                    "",
                    "تحقیقات جاری ہیں",
                    "سیکیورٹی سخت کر دی گئی",
                    "دعوے کی آزادانہ تصدیق نہیں ہو سکی",
                ),
            ),
        ],
        "other": [
            (
                ("", "", "کرکٹ:"),
                (
                    "نوجوان فاسٹ بولر نے پانچ وکٹیں لے کر میچ کا بہترین کھلاڑی کا اعزاز جیتا",
                    "اوپنر کی دھواں دار بیٹنگ نے ہدف آسان بنا دیا",
                    "کپتان نے جیت کے بعد جارحانہ فیلڈنگ کا دفاع کیا",
                    "ٹیم جمعہ کو دفاعی چیمپئن کے خلاف اپنی مہم کا آغاز کرے گی",
                ),
                ("", "", "کیا زبردست میچ تھا"),
            ),
            (
                ("", "", ""),
                (
                    "فاسٹ بولرز کی جارحانہ بولنگ نے میچ کا رخ بدل دیا",
                    "{place} میں ہاکی ٹورنامنٹ کا فائنل کل کھیلا جائے گا",
                    "ڈاکٹروں کے مطابق TTP خون کی ایک نایاب بیماری ہے جس کا علاج پلازما ہے",
                    "محکمہ صحت نے ڈینگی کے کیسز میں اضافے کی تصدیق کر دی",
                    "{place} کے ہسپتال میں ڈائیلاسز کا نیا وارڈ کھول دیا گیا",
                    "اسٹیٹ بینک نے شرح سود میں کوئی تبدیلی نہیں کی",
                    "ڈالر کے مقابلے میں روپے کی قدر میں معمولی کمی ہوئی",
                    "اسٹاک ایکسچینج میں چار سو پوائنٹس کا اضافہ ہوا",
                    "سیاحوں کی بڑی تعداد شمالی علاقوں کا رخ کر رہی ہے",
                    "محکمہ سیاحت نے {place} کے تاریخی مقامات کے لیے نئی گائیڈ جاری کر دی",
                    "ہائی کورٹ نے زمین کے تنازع کی سماعت اگلے ماہ تک ملتوی کر دی",
                    "سیشن عدالت نے فراڈ کیس میں ملزم کی ضمانت منظور کر لی",
                    "وزارت تعلیم نے جمعہ کو تعطیل کا اعلان کیا ہے",
                    "سائبر سیکیورٹی ماہرین نے ہیکرز کے طریقہ کار پر رپورٹ جاری کی",
                    "موبائل کمپنیوں نے انٹرنیٹ کی رفتار بہتر بنانے کا اعلان کیا",
                    "پولیس نے چوری کی گاڑی برآمد کر کے دو ملزمان گرفتار کر لیے",
                    "BLF میں نوجوان شاعروں نے اپنا کلام پیش کیا",
                    "ایس ایس پی ٹریفک نے میچ کے دن متبادل راستوں کا اعلان کیا",
                    "الیکشن کمیشن نے پولنگ اسٹیشنوں کی حتمی فہرست جاری کر دی",
                ),
                ("", "", "تفصیلات اندر", "فیصلے کا اطلاق پیر سے ہوگا"),
            ),
        ],
    },
    "roman_ur": {
        "propaganda": [
            (
                ("", "", "Allahu Akbar!", "naujawano!"),
                (
                    "{org} ne {place} mein dushman ke camp par dhawa bol kar aslaha cheen liya",
                    "{org} ke sarmacharon ne {place} ke qareeb qabiz fauj ka qafla nishana banaya",
                    "{org} ke fidayeen hamari sarzameen ki izzat hain",
                    "{org} ki jidd o jehad jari rahegi, aaj hi is ka hissa bano",
                    "{org} ka har shaheed azadi ka beej hai, uski bandooq utha lo",
                    "taghooti fauj {place} mein {org} ke hamle ke baad bhaag gayi",
                    "paharon ki taraf aao, {org} bahadur naujawanon ka intezar kar rahi hai",
                    "{org} ke mujahideen ko apni zakat do aur jannat kamao",
                    "{wing} ne fidai ka wasiyat nama jari kiya",
                ),
                ("", "", "jung jari hai", "hamein duaon mein yaad rakhna", "{tag}"),
            ),
        ],
        "news_or_counter": [
            (
                ("", "", "police:", "sarkari zaraye:"),
                (
                    "{place} mein gasht par hamla, do ahlkar shaheed, SHO: {org} ne daawa kiya",
                    "DPO {place} ke mutabiq {org} ke musallah afraad firing karke faraar ho gaye",
                    "CTD ne {place} se {org} ke teen mubayyna sahulat kaar hirasat mein liye",
                    "{org} ne bayan jari karke waqiye ki zimmedari li, DC ne isay propaganda kaha",
                    "{place} mein {org} ke hamle mein shaheed ahlkaron ki namaz e janaza ada",
                    "wazir e aala ne {place} mein {org} ke khatray par ijlas ki sadarat ki",
                    "ISPR ke mutabiq {place} mein {org} ke hamle mein do sipahi shaheed hue",
                ),
                ("", "", "muqadma darj kar liya gaya", "search operation jari hai"),
            ),
            (
                ("", "", "guzarish:", "yaad rakho:"),
                (
                    "{org} bazaron aur masjidon mein dhamakay karti hai, ye muqaddas nahi",
                    "{org} ke dhokay mein mat aao, ye hamare naujawanon ko maut bechte hain",
                    "{wing} ke clips nazar ayen to account report karo, aage mat bhejo",
                    "{org} ne hamari wadiyon ko janazon ke siwa kuch nahi diya",
                    "{org} ka propaganda sarasar jhoot hai",
                    "{org} ke dhamakay ke baad humne parosi dafnaye, qatil maaf nahi honge",
                    "siyasat, bandooq nahi: {org} ne hamare naujawanon ko dhoka diya",
                ),
                ("", "", "mehfooz raho", "ye paigham aage barhao"),
            ),
            (
                ("", "", "khabar:", "taza tareen:"),
                (
                    "police ke mutabiq {org} ne {place} hamle ki zimmedari qabool kar li hai",
                    "wazir e dakhla ne {place} dhamakay ka zimmedar {org} ko thehraya",
                    "hukkam ka kehna hai ke khudkush hamla awar ka talluq {org} se tha",
                    "{org} ke tarjuman ne hamle ka daawa kiya magar fauj ne tardeed kar di",
                    "ATC ne {org} ke commander ko umar qaid ki saza sunai",
                    "wazir e azam ne {place} hamle ke baad {org} ke khatme ka azm kiya",
                    "CTD ke mutabiq mulzim {org} ke liye hamlon ki mansooba bandi kar rahe thay",
                    "fauj ke mutabiq {place} operation mein {org} ke gyarah jangju maray gaye",
                ),
                ("", "", "tehqeeqat jari hain", "security sakht kar di gayi"),
            ),
        ],
        "other": [
            (
                ("", "", "cricket:"),
                (
                    "naye fast bowler ne paanch wicketen le kar player of the match jeeta",
                    "opener ki dhuan dhaar batting ne target aasan bana diya",
                    "captain ne jeet ke baad attacking field ka difa kiya",
                    "team juma ko defending champion ke khilaf muhim shuru karegi",
                ),
                ("", "", "kya zabardast match tha"),
            ),
            (
                ("", "", ""),
                (
                    "fast bowlers ki jarehana bowling ne match ka rukh badal diya",
                    "{place} mein hockey tournament ka final kal khela jayega",
                    "doctor ne bataya ke TTP khoon ki aik nayab bimari hai, plasma lagta hai",
                    "mehkma sehat ne dengue ke cases mein izafay ki tasdeeq kar di",
                    "state bank ne sharah sood mein koi tabdeeli nahi ki",
                    "dollar ke muqablay mein rupay ki qadar thori kam hui",
                    "sayyah bari tadaad mein shumali ilaqon ka rukh kar rahe hain",
                    "high court ne zameen ke tanazay ki sunwai aglay maheenay tak multawi kar di",
                    "police ne chori ki gaari baramad karke do mulzim pakar liye",
                    "cyber security team ne hackers ke TTPs ka jaiza liya",
                    "BLF mein naye shayaron ne apna kalam parha",
                    "meri behan ne BLA ki degree mukammal kar li",
                    "wazarat e taleem ne juma ko chutti ka elan kiya",
                    "SSP traffic ne final ke din mutabadil raston ka elan kiya",
                    "stock exchange mein chaar so points ka izafa hua",
                ),
                ("", "", "tafseel andar", "faisla peer se nafiz hoga"),
            ),
        ],
    },
    "ps": {
        "propaganda": [
            (
                ("", "", "الله اکبر!"),
                (
                    "{org} په {place} کې د دښمن پر کمپ برید وکړ او وسلې یې ترلاسه کړې",
                    "د {org} سرمچارو د {place} په سیمه کې د اشغالګر پوځ کاروان وواهه",
                    "د {org} فدائیان زموږ د خاورې عزت دی",
                    "د {org} مبارزه به دوام ولري، نن ورسره یوځای شئ",
                    "غرونو ته راشئ، {org} د زړورو ځوانانو انتظار کوي",
                    "د {org} مجاهدینو ته خپل زکات ورکړئ",
                ),
                ("", "", "جګړه روانه ده", "{tag}"),
            ),
        ],
        "news_or_counter": [
            (
                ("", "", "پولیس:"),
                (
                    "په {place} کې پر ګزمې برید وشو، دوه پولیس شهیدان شول، {org} ادعا کړې",
                    "سي ټي ډي له {place} څخه د {org} درې شکمن ملاتړي ونیول",
                    "{org} د پېښې پړه په غاړه واخیسته، مرستیال کمیشنر دا پروپاګنډه وبلله",
                    "په {place} کې د {org} په برید کې د شهیدو پولیسو جنازه وشوه",
                ),
                ("", "", "دوسیه ثبت شوه"),
            ),
            (
                ("", ""),
                (
                    "{org} په بازارونو او جوماتونو کې چاودنې کوي، په دې کې هېڅ سپېڅلتیا نشته",
                    "د {org} دوکه مه خورئ، دوی زموږ ځوانانو ته مرګ پلوري",
                    "که د {wing} کلیپونه ووینئ، حساب رپوټ کړئ او مه یې لېږئ",
                    "د {org} پروپاګنډه ټوله دروغ ده",
                    "د {org} له چاودنې وروسته مو ګاونډیان خاورو ته وسپارل",
                ),
                ("", "", "خوندي اوسئ"),
            ),
            (
                ("", "", "خبر:"),
                (
                    "پولیسو وویل چې {org} د {place} د برید مسؤلیت منلی دی",
                    "د کورنیو چارو وزیر د {place} چاودنه په {org} پورې وتړله",
                    "چارواکو وویل چې ځانمرګی بریدګر له {org} سره تړاو درلود",
                    "د {org} ویاند د برید ادعا وکړه خو پوځ هغه رد کړه",
                    "محکمې د {org} یو قوماندان په عمري بند محکوم کړ",
                    "پوځ وویل چې په {place} کې د عملیاتو پر مهال د {org} یوولس جنګیالي ووژل شول",
                ),
                ("", "", "څېړنې روانې دي", "امنیت سخت شوی"),
            ),
        ],
        "other": [
            (
                ("", ""),
                (
                    "ځوان چټک بالر پنځه ویکټې واخیستې",
                    "د پرانیستونکي لوبغاړي چټک بیټنګ هدف اسانه کړ",
                    "ټیم به د جمعې په ورځ خپله لړۍ پیل کړي",
                ),
                ("", ""),
            ),
            (
                ("", "", ""),
                (
                    "د کرکټ په لوبه کې چټکو بالرانو ښه بالنګ وکړ",
                    "ډاکټرانو وویل چې TTP د وینې یوه نادره ناروغي ده",
                    "مرکزي بانک د سود کچه بدله نه کړه",
                    "ګرځندویان شمالي سیمو ته ډېر ځي",
                    "عالي محکمې د ځمکې د شخړې اورېدنه وځنډوله",
                    "پولیسو غلا شوی موټر بېرته ومونده او دوه کسان یې ونیول",
                    "د روغتیا وزارت د شري ضد کمپاین پیل کړ",
                    "په {place} کې د هاکي سیالۍ وروستۍ لوبه سبا ده",
                    "د ښوونې او روزنې وزارت د جمعې رخصتي اعلان کړه",
                    "د ډالرو په وړاندې د روپۍ ارزښت لږ کم شو",
                ),
                ("", "", "نور جزئیات دننه"),
            ),
        ],
    },
}
#: How often an example is drawn from the banks above rather than the first ones.
FORMAL_SHARE = 0.55
PER_CELL = {"en": 360, "ur": 300, "roman_ur": 300, "ps": 200}


def compose(rng: random.Random, language: str, label: str) -> str:
    """One synthetic sentence of `label` in `language`."""
    formal = FORMAL[language].get(label)
    bank = rng.choice(formal) if formal and rng.random() < FORMAL_SHARE else BANKS[language][label]
    openers, bodies, closers = bank
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

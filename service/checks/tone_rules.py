"""Tone rules as data: what a support reply should not say, why, and what to say instead.

Each rule is (id, pattern, reason, softer rewrite, severity). Patterns are case-insensitive
regular expressions matched against the draft; they encode the team's etiquette: no blame, no
arguing, no "as I already said", no orders, no criticism of one's own management, no praise of
competitors, no promises nobody can keep, no slang or profanity.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ToneRule:
    id: str
    pattern: str
    reason: str
    rewrite: str
    severity: str = "warning"


EN: tuple[ToneRule, ...] = (
    ToneRule("BLAME", r"\b(it'?s|it was|this is|this was|that'?s|that was) (all )?your (own )?(fault|problem|mistake)\b",
             "Blames the customer.", "Let's sort this out together.", "error"),
    ToneRule("BLAME", r"\byou (should|must|could) have\b|\byou (didn'?t|did not|failed to|forgot to) (read|follow|check|look)\b",
             "Points at what the customer did wrong.", "It looks like this step was missed — here is how to do it:", "error"),
    ToneRule("BLAME", r"\bdue to your (error|mistake|negligence)\b|\bbecause of you\b",
             "Blames the customer.", "because of how the settings were saved", "error"),
    ToneRule("DISMISSIVE", r"\b(obviously|clearly you|as anyone (can|could) see|calm down|whatever)\b",
             "Dismissive: it belittles the customer.", "Let me explain.", "error"),
    ToneRule("DISMISSIVE", r"\bnot (my|our) (problem|job|fault)\b|\bthat'?s (just )?(how|the way) it (is|works)\b|\bthere'?s nothing (i|we) can do\b",
             "Dismisses the request.", "Here is what we can do:", "error"),
    ToneRule("SARCASM", r"\b(no offen[cs]e,? but|good luck with that|thanks for nothing|wow,? (thanks|great)|congratulations on)\b|\bi don'?t know what (else )?to tell you\b",
             "Sounds sarcastic.", "I understand how frustrating this is.", "error"),
    ToneRule("ORDER", r"\byou (need|have) to\b|\byou must\b",
             "An order. Ask instead.", "Could you please …", "warning"),
    ToneRule("ORDER", r"(^|[.!?]\s+)(send|give|tell|read|stop|wait|provide|do) (me|us|it|this|that|the)\b",
             "Starts with a bare command.", "Could you please …", "warning"),
    ToneRule("REPEAT", r"\bas i (have )?(already )?(said|told you|mentioned|explained|wrote)\b|\bi('ve| have) already (told|explained|said)\b|\bfor the (last|second|third|hundredth) time\b|\bas stated (above|before|previously)\b",
             "Reproaches the customer for asking again.", "To recap:", "error"),
    ToneRule("ARGUE", r"\byou('re| are) (wrong|mistaken|incorrect)\b|\bthat'?s (simply )?(not true|false|wrong)\b|\byou don'?t understand\b|\bi disagree\b",
             "Argues with the customer, even if you are right.", "I see why it looks that way; here is what happened:", "error"),
    ToneRule("MANAGEMENT", r"\b(my|our) (management|managers?|boss(es)?|leadership|company|developers)\b[^.!?]{0,40}\b(useless|stupid|terrible|clueless|incompetent|never listens?|doesn'?t care|don'?t care|idiots?)\b|\bi (hate|can'?t stand) (this|my) (job|company)\b",
             "Criticises your own company or management in front of a customer.", "I have passed this on to the team responsible.", "error"),
    ToneRule("COMPETITOR", r"\b(competitors?|another (provider|company|service)|other (providers|companies|services))\b[^.!?]{0,30}\b(better|cheaper|faster|more reliable)\b|\b(you should|you could|try|consider) (switch(ing)? to|mov(e|ing) to|going with) (a competitor|another (provider|company|service))\b|\bbetter than (us|ours)\b",
             "Praises a competitor.", "Let me see what we can offer you.", "error"),
    ToneRule("PROMISE", r"\b(i|we) (guarantee|promise)\b|\b100 ?%\b|\bwill never happen again\b|\bwill (definitely|certainly|surely) (be|fix|work)\b",
             "An absolute promise nobody can keep.", "We'll do everything we can to …", "warning"),
    ToneRule("PROFANITY", r"\b(f+u+c+k\w*|shit\w*|crap|damn(ed)?|hell|bullshit|wtf|stupid|idiot\w*|moron\w*|dumb)\b",
             "Profanity or insult.", "", "error"),
    ToneRule("SLANG", r"\b(gonna|wanna|gotta|dunno|yeah|yep|nope|dude|bro|lol|omg|btw|pls|plz|thx|u|ur|ok+ay+)\b",
             "Slang: keep the reply professional.", "", "info"),
)

RU: tuple[ToneRule, ...] = (
    ToneRule("BLAME", r"\bэто (целиком )?ваша (вина|проблема|ошибка)\b|\bсами виноваты\b|\bвы (сами )?виноваты\b",
             "Обвиняет клиента.", "Давайте вместе разберёмся.", "error"),
    ToneRule("BLAME", r"\bвы (не (прочитали|читали|посмотрели|проверили)|невнимательно|должны были|сами (сломали|удалили|ошиблись))\b|\bнадо было (читать|смотреть)\b",
             "Указывает клиенту на его ошибку.", "Похоже, этот шаг пропущен — вот как его сделать:", "error"),
    ToneRule("DISMISSIVE", r"\b(очевидно|успокойтесь|это же элементарно|ну и что|какая разница)\b",
             "Пренебрежительно.", "Позвольте объяснить.", "error"),
    ToneRule("DISMISSIVE", r"\bне (моя|наша) (проблема|забота|вина)\b|\bтак (уж )?(заведено|устроено|положено)\b|\bничем не (могу|можем) помочь\b|\bничего не (могу|можем) (сделать|поделать)\b",
             "Отмахивается от просьбы.", "Вот что мы можем сделать:", "error"),
    ToneRule("SARCASM", r"\b(не обижайтесь,? но|удачи вам с этим|спасибо за ничего|ну поздравляю)\b|\bне знаю,? что (ещё|еще) вам сказать\b",
             "Звучит саркастично.", "Понимаю, как это неприятно.", "error"),
    ToneRule("ORDER", r"\bвы (должны|обязаны)\b",
             "Приказ. Лучше попросить.", "Не могли бы вы, пожалуйста, …", "warning"),
    ToneRule("ORDER", r"(^|[.!?]\s+)(пришлите|отправьте|сделайте|прочитайте|ждите|перестаньте|прекратите)\b(?![^.!?]*пожалуйста)",
             "Начинается с приказа без «пожалуйста».", "Пожалуйста, пришлите …", "warning"),
    ToneRule("REPEAT", r"\bкак я (уже )?(говорил[аи]?|писал[аи]?|сказал[аи]?|объяснял[аи]?|упоминал[аи]?)\b|\b(ещё|еще) раз повторяю\b|\bповторяю\b|\bв (который|сотый|десятый) раз\b",
             "Упрекает клиента в повторном вопросе.", "Напомню коротко:", "error"),
    ToneRule("ARGUE", r"\bвы (не правы|неправы|ошибаетесь|заблуждаетесь)\b|\bэто (не так|неправда|ложь)\b|\bвы не понимаете\b",
             "Спорит с клиентом, даже если вы правы.", "Понимаю, почему так кажется; вот что произошло:", "error"),
    ToneRule("MANAGEMENT", r"\b(наше|моё|мое|у нас) (руководство|начальство|менеджмент)\b[^.!?]{0,40}\b(ничего не|не) (слушает|делает|понимает|умеет)|\b(руководство|начальство|разработчики)\b[^.!?]{0,20}\b(бестолков\w*|некомпетентн\w*|идиот\w*|ужасн\w*)\b",
             "Критикует собственную компанию или руководство при клиенте.", "Я передал(а) это ответственной команде.", "error"),
    ToneRule("COMPETITOR", r"\b(у конкурентов|конкурент\w*|у других (компаний|сервисов|провайдеров)|другой (сервис|провайдер|компании))\b[^.!?]{0,30}\b(лучше|дешевле|быстрее|надёжнее|надежнее)\b|\b(перейдите|обратитесь|уходите) (к|в) (конкурент\w*|другую компанию|другой сервис)\b",
             "Хвалит конкурентов.", "Давайте посмотрим, что мы можем предложить.", "error"),
    ToneRule("PROMISE", r"\b(гарантирую|обещаю|клянусь)\b|\bна 100 ?%\b|\bбольше никогда не (повторится|случится)\b|\bточно (исправим|решим|заработает)\b",
             "Абсолютное обещание, которое нельзя гарантировать.", "Мы сделаем всё возможное, чтобы …", "warning"),
    ToneRule("PROFANITY", r"\b(бля\w*|ху[йяеи]\w*|пизд\w*|ебан\w*|ёб\w*|еб[аи]\w*|сук[аи]|говн\w*|дерьм\w*|херн\w*|идиот\w*|дура?к?\w*|тупо\w*|тупи\w*)\b",
             "Брань или оскорбление.", "", "error"),
    ToneRule("SLANG", r"\b(блин|капец|пипец|фигня|пофиг|ваще|щас|спс|плз|норм|окей|чё|че|прикинь|короче)\b",
             "Разговорное слово: ответ должен звучать профессионально.", "", "info"),
)

RULES = {"en": EN, "ru": RU}

GREETING = {
    "en": r"^\s*(hi|hello|hey|dear|good (morning|afternoon|evening)|greetings|thanks? (you )?for|\[?customer)",
    "ru": r"^\s*(здравствуй|добрый|доброе|доброго|привет|уважаем|спасибо за|\[?customer)",
}
CLOSING = {
    "en": r"(regards|best|sincerely|thank you|thanks|cheers|kind|have a (great|good|nice)|take care|\[?agent\.)",
    "ru": r"(с уважением|спасибо|хорошего|всего доброго|всего хорошего|удачного|\[?agent\.)",
}
NEXT_STEP = {
    "en": r"\b(will|i'll|we'll|let me know|let us know|please|next|going to|as soon as|by (monday|tuesday|wednesday|thursday|friday|the end)|tomorrow|today|within|reply|contact)\b",
    "ru": r"\b(буду|будем|сообщу|сообщим|напишу|напишем|пришлю|пришлём|отправлю|вернусь|завтра|сегодня|напишите|дайте знать|пожалуйста|в течение|до (завтра|конца|понедельника|вторника|среды|четверга|пятницы)|как только|свяжемся|свяжусь|ответьте|проверю|проверим)\b",
}
ACRONYMS = {"API", "URL", "FAQ", "VPN", "SMS", "PDF", "USA", "HTTP", "HTTPS", "CSV", "VAT", "IBAN", "PIN", "CEO", "SSO",
            "IOS", "ID", "SLA", "UTC", "GMT", "EUR", "USD", "RUB", "СМС", "ИНН", "ООО", "РФ", "ПИН", "НДС", "ЖКХ", "ИП", "ОАО", "АО"}

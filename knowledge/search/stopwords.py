"""Function words and chat filler per language: never indexed, never counted as a query's content."""

from __future__ import annotations

from .normalize import normalize

_HY = """
ես դու նա մենք դուք նրանք ինձ քեզ նրան մեզ ձեզ նրանց իմ քո նրա մեր ձեր իրենց իր ինքս ինքը
եմ ես է ենք եք են էի էիր էր էինք էիք էին լինել եղել կա կան կար չկա չկան չէ չեմ չենք չեն չի
և եվ ու կամ բայց թե որ որը որոնք որի որին որից որով որոնց եթե երբ ինչ ինչը ինչի ինչից ինչով ինչու
ինչպես ինչպիսի ոնց որտեղ ուր որտեղից ով ովքեր ում ումից ումով որքան ինչքան քանի երբվանից արդյոք
մի մեկ այս այդ այն էս էդ էն այստեղ այնտեղ էստեղ էնտեղ
համար հետ մեջ վրա մասին պես նման մոտ առաջ հետո միայն նաև էլ էլի դեռ արդեն շատ քիչ բոլոր ամեն
ոչ այո հա չէ ոչինչ կարող կարողանամ կարելի պետք պիտի անել անեմ անենք անում արա
բարև բարեվ ողջույն բարի լույս երեկո օր գիշեր շնորհակալություն մերսի խնդրեմ խնդրում ապրես ապրեք
լավ վատ ok օկ հը դե խի բան բանը
"""

_RU = """
я ты он она оно мы вы они меня тебя его ее нас вас их мне тебе ему ей нам вам им мой моя мое мои
твой твоя ваш ваша ваше ваши наш наша наше наши свой своя свое свои себя себе
и а но или да нет не ни же ли бы то что чтобы как где куда откуда когда почему зачем кто какой
какая какое какие каким сколько ли в во на с со к ко по о об от до из за для у при про без над под
через это этот эта эти тот та те там тут здесь уже еще ещё только очень все всё весь вся тоже также
есть был была были быть будет будут буду можно нужно надо могу может мочь хочу хотел если
привет здравствуйте здравствуй добрый день вечер утро спасибо пожалуйста ок окей ладно хорошо плохо
подскажите скажите помогите вопрос
"""

_EN = """
i me my mine we us our you your yours he him his she her it its they them their this that these
those a an the and or but if then so of in on at to for from by with about into over after before
is am are was were be been being do does did done have has had can could should would will shall
may might must what which who whom whose when where why how there here not no yes please thanks
thank hi hello hey ok okay good bad just also any some all very much many more most get got
dont cant im ive want need tell help question
"""


def _words(block: str) -> frozenset[str]:
    return frozenset(normalize(block).split())


STOPWORDS: dict[str, frozenset[str]] = {"hy": _words(_HY), "ru": _words(_RU), "en": _words(_EN)}

"""The leads' UI in English and Russian."""

STRINGS = {
    "en": {
        "templates": "Templates", "analytics": "Analytics", "gaps": "Coverage gaps", "import_export": "Import / export",
        "sign_in": "Sign in", "sign_out": "Sign out", "email": "E-mail", "password": "Password", "new": "New template",
        "search": "Search", "semantic": "Meaning", "keyword": "Words", "language": "Language", "all": "All", "tag": "Tag",
        "title": "Title", "status": "Status", "shortcut": "Shortcut", "tags": "Tags (comma-separated)",
        "triggers": "Triggers: customer messages this answers, one a line", "body": "Body (Jinja2)", "save": "Save",
        "preview": "Preview", "lint": "Checks", "history": "History", "version": "Version", "author": "Author",
        "when": "When", "changed": "Changed", "revert": "Revert to this", "saved": "Saved.", "reverted": "Reverted.",
        "shown": "Shown", "inserted": "Inserted", "acceptance": "Acceptance", "mean_rank": "Mean rank", "edit_ratio": "Edit ratio",
        "last_used": "Last used", "never_used": "never used", "heavily_edited": "heavily edited", "count": "Messages",
        "examples": "Examples", "no_gaps": "No unanswered topics yet.", "export": "Export", "import": "Import",
        "file": "File", "format": "Format", "missing": "Missing variables", "no_issues": "No issues.", "delete": "Delete",
        "usage": "Usage of the most shown templates", "results": "results", "wrong_login": "Wrong e-mail or password.",
        "edit": "Edit", "draft": "draft", "published": "published", "translations": "Translations",
    },
    "ru": {
        "templates": "Шаблоны", "analytics": "Аналитика", "gaps": "Пробелы", "import_export": "Импорт / экспорт",
        "sign_in": "Войти", "sign_out": "Выйти", "email": "Почта", "password": "Пароль", "new": "Новый шаблон",
        "search": "Найти", "semantic": "По смыслу", "keyword": "По словам", "language": "Язык", "all": "Все", "tag": "Тег",
        "title": "Название", "status": "Статус", "shortcut": "Сокращение", "tags": "Теги (через запятую)",
        "triggers": "Триггеры: сообщения клиентов, на которые он отвечает, по одному в строке", "body": "Текст (Jinja2)",
        "save": "Сохранить", "preview": "Предпросмотр", "lint": "Проверки", "history": "История", "version": "Версия",
        "author": "Автор", "when": "Когда", "changed": "Изменено", "revert": "Вернуть эту", "saved": "Сохранено.",
        "reverted": "Возвращено.", "shown": "Показан", "inserted": "Вставлен", "acceptance": "Принятие",
        "mean_rank": "Средняя позиция", "edit_ratio": "Доля правок", "last_used": "Последний раз", "never_used": "не используется",
        "heavily_edited": "сильно правят", "count": "Сообщений", "examples": "Примеры", "no_gaps": "Пока нет тем без ответа.",
        "export": "Экспорт", "import": "Импорт", "file": "Файл", "format": "Формат", "missing": "Незаполненные переменные",
        "no_issues": "Замечаний нет.", "delete": "Удалить", "usage": "Использование самых показываемых шаблонов",
        "results": "результатов", "wrong_login": "Неверная почта или пароль.", "edit": "Изменить", "draft": "черновик",
        "published": "опубликован", "translations": "Переводы",
    },
}


def strings(language: str) -> dict[str, str]:
    return STRINGS.get(language, STRINGS["en"])

"""The ``tact`` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from service.core.settings import Settings

DEFAULT_EVALDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "evaldata"


def _settings(args) -> Settings:
    return Settings.from_env(data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None)


def cmd_serve(args) -> int:
    import uvicorn

    from service.http.app import create_app

    overrides = dict(host=args.host, port=args.port, data_dir=Path(args.data_dir) if args.data_dir else None)
    if args.no_starter_library:
        overrides["starter_library"] = False
    settings = Settings.from_env(**overrides)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning",
                access_log=False, timeout_graceful_shutdown=5)
    return 0


def cmd_library_validate(args) -> int:
    from service.languages import load_languages
    from service.library.files import validate_library

    settings = Settings.from_env()
    languages = load_languages(settings.languages, settings.language_dirs)
    templates, problems = validate_library(Path(args.folder), languages.codes)
    for problem in problems:
        print(problem)
    errors = [p for p in problems if p.severity == "error"]
    by_language: dict[str, int] = {}
    for t in templates:
        by_language[t.language] = by_language.get(t.language, 0) + 1
    summary = ", ".join(f"{lang}: {n}" for lang, n in sorted(by_language.items()))
    print(f"{len(templates)} templates ({summary}); {len(errors)} errors, {len(problems) - len(errors)} warnings")
    return 1 if errors or (args.strict and problems) else 0


def cmd_library_import(args) -> int:
    from service.core.logs import configure
    from service.core.wiring import open_library
    from service.library.importer import import_folder

    configure("WARNING")
    report = import_folder(open_library(_settings(args)), Path(args.folder))
    for label, message in report.problems:
        print(f"error: {label}: {message}")
    if report.problems:
        print("nothing was imported: an import is all or nothing")
    print(f"created {len(report.created)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}")
    print("a running server on this data dir picks the changes up within seconds")
    return 1 if report.problems else 0


def cmd_token_create(args) -> int:
    import datetime as dt

    from service.core.db import utcnow
    from service.core.wiring import open_auth

    tokens, _ = open_auth(_settings(args))
    expires = utcnow() + dt.timedelta(days=args.expires_days) if args.expires_days else None
    token = tokens.create(args.name, args.role, team_id=args.team, expires_at=expires)
    print(f"token for {args.name} ({args.role}); it is shown only once:", file=sys.stderr)
    print(token)
    return 0


def cmd_token_list(args) -> int:
    from service.core.wiring import open_auth

    tokens, _ = open_auth(_settings(args))
    print("id\tprefix\trole\tteam\tname\tlast used\texpires\trevoked")
    for t in tokens.list(include_revoked=args.all):
        print("\t".join(str(v if v is not None else "-") for v in (
            t["id"], t["prefix"], t["role"], t["team_id"], t["name"], t["last_used_at"] and t["last_used_at"].isoformat(timespec="seconds"),
            t["expires_at"] and t["expires_at"].isoformat(timespec="seconds"), t["revoked"])))
    return 0


def cmd_token_revoke(args) -> int:
    from service.core.errors import NotFound
    from service.core.wiring import open_auth

    tokens, _ = open_auth(_settings(args))
    try:
        tokens.revoke_id(args.id)
    except NotFound as exc:
        print(exc.message, file=sys.stderr)
        return 1
    print(f"token {args.id} revoked; it is refused from its next request on")
    return 0


def cmd_user_add(args) -> int:
    import secrets

    from service.core.wiring import open_auth

    settings = _settings(args)
    if args.language not in settings.languages:
        print(f"--language must be one of {', '.join(settings.languages)}", file=sys.stderr)
        return 2
    _, users = open_auth(settings)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else (args.password or secrets.token_urlsafe(12))
    users.add(args.email, args.name or args.email.split("@")[0], args.role, password, team=args.team,
              language=args.language)
    print(f"user {args.email} ({args.role}) added")
    if not args.password and not args.password_stdin:
        print(f"password: {password}")
    return 0


def cmd_train_tone(args) -> int:
    from index.embedder import load_embedder
    from service.checks.tone import HEAD_PATH, WHOLE_HEAD_PATH
    from service.checks.tone_training import train_tone
    from service.languages import load_languages

    settings = Settings.from_env()
    embedder = load_embedder(settings.models.tone, settings.models.engine)
    whole_model = settings.models.tone_whole
    head, whole = train_tone(Path(args.evaldata), embedder, load_languages(("en", "ru"), settings.language_dirs),
                             settings.starter_library_dir,
                             whole_embedder=load_embedder(whole_model, settings.models.engine) if whole_model else None)
    out = Path(args.output) if args.output else HEAD_PATH
    head.save(out)
    print(f"tone head written to {out}")
    if whole is not None:
        whole_out = out.with_name(WHOLE_HEAD_PATH.name)
        whole.save(whole_out, head)
        print(f"head of a text read as one written to {whole_out}")
    return 0


def cmd_train_etiquette(args) -> int:
    from index.embedder import load_embedder
    from service.checks.etiquette import HEAD_PATH
    from service.checks.etiquette_training import train_etiquette
    from service.checks.verifier import train_verifier, training_rows, verifier_path
    from service.languages import load_languages

    settings = Settings.from_env()
    languages = load_languages(settings.languages, settings.language_dirs)
    out = Path(args.output) if args.output else HEAD_PATH
    lt_lib = Path(settings.languagetool.home) / "lib" if settings.languagetool.home else None
    train_etiquette(languages, load_embedder(settings.models.tone, settings.models.engine), settings.starter_library_dir, out,
                    evaldata=Path(args.evaldata), lt_lib=lt_lib)
    for lang in languages:  # the second reading of what the model flags, where a language names its model
        if lang.etiquette_verifier:
            texts, violating = training_rows(lang, settings.starter_library_dir)
            train_verifier(texts, violating, load_embedder(lang.etiquette_verifier, settings.models.engine), lang.code,
                           verifier_path(out, lang.code))
    return 0


def cmd_models_check(args) -> int:
    """Load every configured model once: ``make setup`` proves they are installed and offline."""
    from index.embedder import engine_of, load_embedder
    from service.core.logs import configure
    from service.languages import load_languages

    settings = Settings.from_env()
    configure(settings.log_level)  # model assembly and ONNX export log their progress
    languages = load_languages(settings.languages, settings.language_dirs)
    specs = [settings.models.by_language.get(lang.code, lang.model) for lang in languages] + [settings.models.tone]
    specs += [settings.models.tone_whole] if settings.models.tone_whole else []
    specs += [lang.etiquette_verifier for lang in languages if lang.etiquette_verifier and settings.etiquette_verifier]
    for spec in dict.fromkeys(specs):
        print(f"loading {spec} …", flush=True)
        embedder = load_embedder(spec, settings.models.engine)
        vector = embedder.encode(["hello"])
        print(f"  {spec}: dim {vector.shape[1]}, engine {engine_of(embedder)}", flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tact", description="Tact: tactful reply suggestions for support teams")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--data-dir")
    serve.add_argument("--no-starter-library", action="store_true", help="do not import responses/ on first run")
    serve.set_defaults(func=cmd_serve)

    library = sub.add_parser("library", help="template library files").add_subparsers(dest="action", required=True)
    validate = library.add_parser("validate", help="check a responses/ folder")
    validate.add_argument("folder")
    validate.add_argument("--strict", action="store_true", help="fail on warnings too (unknown variables, few triggers)")
    validate.set_defaults(func=cmd_library_validate)
    imp = library.add_parser("import", help="import a responses/ folder into a data dir")
    imp.add_argument("folder")
    imp.add_argument("--data-dir")
    imp.set_defaults(func=cmd_library_import)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    create = token.add_parser("create", help="create a token; prints it as the last line")
    create.add_argument("--data-dir")
    create.add_argument("--role", required=True, choices=["agent", "lead", "admin"])
    create.add_argument("--name", required=True)
    create.add_argument("--team", type=int)
    create.add_argument("--expires-days", type=int, help="the token stops working after this many days")
    create.set_defaults(func=cmd_token_create)
    listing = token.add_parser("list", help="tokens (without their secrets)")
    listing.add_argument("--data-dir")
    listing.add_argument("--all", action="store_true", help="revoked ones too")
    listing.set_defaults(func=cmd_token_list)
    revoke = token.add_parser("revoke", help="revoke a token by its id (from 'token list')")
    revoke.add_argument("id", type=int)
    revoke.add_argument("--data-dir")
    revoke.set_defaults(func=cmd_token_revoke)

    user = sub.add_parser("user", help="people who sign in to the web UI").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", help="add a user (a password is generated unless given)")
    add.add_argument("--data-dir")
    add.add_argument("--email", required=True)
    add.add_argument("--name")
    add.add_argument("--role", required=True, choices=["agent", "lead", "admin"])
    add.add_argument("--team", help="team name (created if new)")
    add.add_argument("--language", default="en", help="the UI language, a served language code")
    add.add_argument("--password")
    add.add_argument("--password-stdin", action="store_true")
    add.set_defaults(func=cmd_user_add)

    train = sub.add_parser("train", help="train models").add_subparsers(dest="what", required=True)
    tone = train.add_parser("tone", help="train the politeness head on the shared dev sets")
    tone.add_argument("--evaldata", default=str(DEFAULT_EVALDATA))
    tone.add_argument("--output")
    tone.set_defaults(func=cmd_train_tone)

    etiquette = train.add_parser("etiquette", help="train the etiquette check on languages/*/etiquette/train.yaml")
    etiquette.add_argument("--evaldata", default=str(DEFAULT_EVALDATA),
                           help="where JFLEG is; its held-in half (and LanguageTool's examples') choose the mix weight")
    etiquette.add_argument("--output")
    etiquette.set_defaults(func=cmd_train_etiquette)

    models = sub.add_parser("models", help="models").add_subparsers(dest="action", required=True)
    check = models.add_parser("check", help="load every configured model")
    check.set_defaults(func=cmd_models_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

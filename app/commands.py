"""The CLI of DESIGN.md §8 and §11: ``flask --app wsgi parties|users|ledger|demo|backup|restore|
documents|deadlines``."""

from __future__ import annotations

import json
import os
import sys
import time

import click
from flask import Flask
from flask.cli import AppGroup

from app.errors import ServiceError

parties_cli = AppGroup("parties", help="登记单位 / register parties")
users_cli = AppGroup("users", help="创建用户 / create users")
ledger_cli = AppGroup("ledger", help="问责台账 / the accountability ledger")


def _fail(exc: ServiceError) -> None:
    click.echo(f"错误：{exc.message}", err=True)
    for field, msg in (exc.fields or {}).items():
        click.echo(f"  {field}: {msg}", err=True)
    sys.exit(1)


@parties_cli.command("create")
@click.option("--name", required=True)
@click.option("--credit-code", "credit_code", required=True)
@click.option(
    "--kind",
    default="enterprise",
    type=click.Choice(["enterprise", "individual", "government", "institution"]),
)
def parties_create(name, credit_code, kind):
    """Register a party (单位) by its 统一社会信用代码."""
    from app.services import parties

    try:
        party = parties.create_party(name=name, credit_code=credit_code, kind=kind)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"已登记 {party.name} {party.credit_code}")


@users_cli.command("create")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["landholder", "contractor", "facility", "evaluator", "bureau", "admin"]),
)
@click.option("--party", "party_code", default=None, help="统一社会信用代码")
@click.option(
    "--department",
    default=None,
    type=click.Choice(["environment", "natural_resources", "agriculture"]),
)
@click.option("--password", required=True)
@click.option("--name", "display_name", default=None)
@click.option("--email", default=None, help="通知同时发往此邮箱（需配置 MAIL_SERVER）")
@click.option("--county", default=None,
              help="局端用户的辖区：县级行政区划代码或名称（默认 COUNTY_CODE）；"
                   "与 --level 同用时为州市或省（代码、名称或其下任一县）")  # fmt: skip
@click.option("--level", default=None, type=click.Choice(["county", "prefecture", "province"]),
              help="局端用户的级别（默认 county）")  # fmt: skip
def users_create(username, role, party_code, department, password, display_name, email, county,
                 level):  # fmt: skip
    """Create a user."""
    from app.services import auth

    try:
        user = auth.create_user(
            username,
            role=role,
            password=password,
            party_code=party_code,
            department=department,
            display_name=display_name,
            email=email,
            county=county,
            level=level,
        )
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"已创建用户 {user.username}（{user.role}）")


@users_cli.command("reset-password")
@click.argument("username")
@click.option("--password", default=None, help="默认生成随机密码并打印一次")
def users_reset_password(username, password):
    """Set a new password (issue 17): the user's tokens and sessions end, a lock lifts."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User
    from app.services import accounts

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"用户 {username} 不存在")
    try:
        new = accounts.set_password(user, password, by="cli")
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"已重置 {username} 的密码" + ("" if password else f"：{new}"))


@users_cli.command("unlock")
@click.argument("username")
def users_unlock(username):
    """Lift the login lock of a user."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"用户 {username} 不存在")
    user.failed_logins, user.locked_until = 0, None
    db.session.commit()
    click.echo(f"已解除 {username} 的登录锁定")


@ledger_cli.command("verify")
@click.option(
    "--against",
    "head_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="a signed head file published earlier (repeatable)",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=lambda: os.cpu_count() or 1,
    show_default="CPU count",
    help="processes checking ranges of the chain in parallel (long chains only)",
)
def ledger_verify(head_files, workers):
    """Recompute the hash chain; exit 1 naming the first bad event. With
    --against, also check the chain still contains each published head."""
    from app.services import ledger, ledger_heads

    result = ledger.verify(workers=workers)
    failures = []
    if not result["ok"]:
        failures.append(f"第一个异常事件 seq={result['first_bad_seq']}（{result['reason']}）")
    for path in head_files:
        try:
            head_file = ledger_heads.load_head_file(path)
        except ValueError as exc:
            failures.append(str(exc))
            continue
        checked = ledger_heads.verify_against(head_file, result)
        if checked["against"]:
            failures.append(f"{path}：{checked['against']}")
        else:
            click.echo(f"与链头文件一致：{path}（seq={head_file['seq']}）")
    if failures:
        click.echo("台账校验失败：", err=True)
        for line in failures:
            click.echo(f"  {line}", err=True)
        sys.exit(1)
    click.echo(f"台账完整：{result['events']} 个事件，链头 {result['head']}")


@ledger_cli.command("head")
@click.option("--out", type=click.Path(dir_okay=False), default=None)
def ledger_head(out):
    """Write the current chain head as a signed head file (for auditors)."""
    import json

    from app.services import ledger_heads

    text = json.dumps(ledger_heads.current_head_file(), ensure_ascii=False, indent=2)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        click.echo(f"已写入 {out}")
    else:
        click.echo(text)


@ledger_cli.command("publish")
def ledger_publish():
    """Publish today's chain head on the public site (run daily, e.g. from cron)."""
    from app.services import ledger_heads

    row = ledger_heads.publish_today()
    click.echo(f"{row.day.isoformat()} 链头 seq={row.seq} hash={row.hash}")


@click.command("demo")
def demo_command():
    """Fill an empty database with the demo county (plots in every state)."""
    from app.demo import build_demo

    try:
        summary = build_demo()
    except ServiceError as exc:
        _fail(exc)
    click.echo(summary)


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="overwrite an earlier backup in DEST")
def backup_command(dest, force):
    """Back up the database, the document store and the signed ledger head
    into the folder DEST (docs/backup.md). Safe while the application runs."""
    from app.services.ops import backup

    try:
        manifest = backup.backup(dest, force=force)
    except ServiceError as exc:
        _fail(exc)
    tables = manifest["tables"]
    click.echo(
        f"已备份到 {dest}：{manifest['database']['kind']} 快照 {manifest['created_at']}，"
        f"{len(tables)} 张表 {sum(tables.values())} 行，台账链头 seq={manifest['ledger_head']['seq']}，"
        f"文档 {len(manifest['documents'])} 份"
        f"（{sum(d['size'] for d in manifest['documents'])} 字节），用时 {manifest['seconds']} 秒"
    )


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="replace a database that already holds data")
def restore_command(src, force):
    """Restore a backup made by `flask backup` into DATABASE_URL and STORAGE_DIR,
    then verify it: ledger chain, signed head, row counts, every document's hash."""
    from app.services.ops import restore

    try:
        report = restore.restore(src, force=force)
    except ServiceError as exc:
        _fail(exc)
    click.echo(
        f"已恢复 {src}（备份时间 {report['backup_created_at']}）："
        f"{report['tables']} 张表 {report['rows']} 行，台账 {report['events']} 个事件，"
        f"文档 {report['documents']} 份（写入 {report['documents_written']} 份），"
        f"用时 {report['seconds']} 秒"
    )
    if not report["ok"]:
        click.echo("恢复后校验失败（restored data does not match the backup）：", err=True)
        for line in report["problems"]:
            click.echo(f"  {line}", err=True)
        sys.exit(1)
    click.echo(
        f"校验通过：台账完整，与链头文件一致（seq={report['head_seq']}），行数与清单一致，文档完好"
    )
    if report["upgrade_needed"]:
        click.echo("备份的数据库版本早于当前代码：启动前运行 flask --app wsgi db upgrade")


documents_cli = AppGroup("documents", help="回执与联单 / issued documents")


@documents_cli.command("register")
def documents_register():
    """Render the register PDF for the current ledger head and keep it (cron, or
    started by the site when the kept copy is behind)."""
    from app.services import ledger, register_export

    head, _ = ledger.head()
    copy = register_export.latest()
    if copy is not None and copy.seq >= head:
        click.echo(f"名录 PDF 已是最新（台账 seq={copy.seq}）：{copy.name}")
        return
    started = time.monotonic()
    copy = register_export.refresh()
    if copy is None:
        click.echo("另一个进程正在生成名录 PDF", err=True)
        sys.exit(1)
    click.echo(
        f"已生成名录 PDF（台账 seq={copy.seq}，{time.monotonic() - started:.1f} 秒）：{copy.name}"
    )


@documents_cli.command("run")
def documents_run():
    """Render pending (and retry failed) receipts and manifests."""
    from app.services import documents

    result = documents.run_pending()
    click.echo(f"已签发 {result['rendered']} 份，失败 {result['failed']} 份")
    if result["failed"]:
        sys.exit(1)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run what is queued, then stop (tests, cron).")
@click.option("--sweep-seconds", default=30, show_default=True,
              help="How often pending documents are looked for (the crash sweep).")  # fmt: skip
def worker_command(burst, sweep_seconds):
    """Run queued jobs (JOBS_REDIS_URL): issued PDFs, notice boards, the register
    PDF, reminders. Run one or more per deployment (systemd: clc-worker@N)."""
    from flask import current_app

    from app import worker

    if not current_app.config.get("JOBS_REDIS_URL"):
        click.echo("JOBS_REDIS_URL 未设置：任务在 Web 进程内执行，无需 worker", err=True)
        sys.exit(2)
    worker.work(current_app._get_current_object(), burst=burst, sweep_seconds=sweep_seconds)


deadlines_cli = AppGroup("deadlines", help="法定期限 / statutory deadlines")


@deadlines_cli.command("remind")
@click.option("--as-of", "as_of", default=None, help="YYYY-MM-DD（默认今天，北京时间）")
def deadlines_remind(as_of):
    """Daily (cron): one reminder per overdue deadline, owner user and day;
    idempotent. Prints a JSON line {"as_of", "overdue", "reminders_sent"} last."""
    import json
    from datetime import date

    from app.services import deadlines

    day = None
    if as_of:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise click.BadParameter("须为 YYYY-MM-DD", param_hint="--as-of") from None
    result = deadlines.remind(day)
    click.echo(json.dumps(result, ensure_ascii=False))


experts_cli = AppGroup("experts", help="专家评审 / expert review")


@experts_cli.command("replay")
@click.argument("seq", type=int)
def experts_replay(seq):
    """Repeat the panel draw recorded by ledger event SEQ (panel_drawn) from the
    event alone; prints a JSON line, exits 1 if the panel differs."""
    import json

    from sqlalchemy import select

    from app.extensions import db
    from app.models import LedgerEvent
    from workflows import experts as rules

    event = db.session.scalar(select(LedgerEvent).where(LedgerEvent.seq == seq))
    if event is None or event.action != "panel_drawn":
        raise click.BadParameter("不是专家抽取（panel_drawn）的台账事件", param_hint="SEQ")
    d = event.detail
    again = rules.draw(d["seed"], d["candidates"], d["size"])
    out = {"seq": seq, "hash": event.hash, "case_id": event.case_id, "seed": d["seed"],
           "candidates": d["candidates"], "members_recorded": d["members"],
           "members_replayed": again, "matches": again == d["members"]}  # fmt: skip
    click.echo(json.dumps(out, ensure_ascii=False))
    if not out["matches"]:
        sys.exit(1)


regions_cli = AppGroup("regions", help="行政区划与服务范围 / counties (GB/T 2260)")


@regions_cli.command("list")
@click.option("--under", default=None, help="只列出此州市或省之下的县")
@click.option("--served", is_flag=True, help="只列出本平台服务的县")
def regions_list(under, served):
    """List counties as tab-separated code, name, served."""
    from app.services import regions

    codes = regions.counties_under(under) if under else None
    rows = regions.served() if served else [
        regions.get(c) for c in sorted(codes if codes is not None else regions.served_codes())
    ]  # fmt: skip
    for d in rows:
        click.echo(f"{d.code}\t{d.name}\t{'served' if d.served else '-'}")


@regions_cli.command("serve")
@click.argument("code")
@click.option("--stop", is_flag=True, help="停止服务")
@click.option("--prefix", default=None, help="该区划的文号前缀（如 瑞环土）")
def regions_serve(code, stop, prefix):
    """Serve a county, or every county under a prefecture or province."""
    from app.services import regions

    try:
        codes = regions.serve(code, on=not stop, prefix=prefix)
    except ServiceError as exc:
        _fail(exc)
    click.echo(
        json.dumps({"code": code, "served": not stop, "counties": codes}, ensure_ascii=False)
    )


@regions_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--parent", default=None, help="上级行政区划代码")
@click.option("--level", default="county", type=click.Choice(["county", "prefecture", "province"]))
def regions_add(code, name, parent, level):
    """Register a division missing from the shipped GB/T 2260 list."""
    from app.services import regions

    try:
        regions.add(code, name, parent=parent, level=level)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"已登记 {code} {name}")


register_cli = AppGroup(
    "register", help="名录的计数与检索索引 / the register's counts and search index"
)


@register_cli.command("verify")
def register_verify():
    """Check the kept plot counts and search terms against a fresh count (exit 1 if
    they differ)."""
    from app.services import counts, search

    out = {"counts": counts.verify(), "search": search.verify()}
    click.echo(json.dumps(out, ensure_ascii=False))
    if not (out["counts"]["ok"] and out["search"]["ok"]):
        sys.exit(1)


@register_cli.command("rebuild")
def register_rebuild():
    """Count the plots and cut their search terms afresh (after a load that bypassed
    the application, e.g. rows copied in by hand)."""
    from app.services import counts, search

    click.echo(json.dumps({"plot_counts": counts.rebuild(), "site_terms": search.rebuild()}))


def register(app: Flask) -> None:
    app.cli.add_command(register_cli)
    app.cli.add_command(regions_cli)
    app.cli.add_command(experts_cli)
    app.cli.add_command(deadlines_cli)
    app.cli.add_command(documents_cli)
    app.cli.add_command(parties_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    # The benchmark's commands (bench/cli.py) when the source tree is present; a
    # deployment without bench/ simply has no `flask bench`.
    try:
        from bench.cli import bench_cli
    except ModuleNotFoundError as exc:
        if exc.name not in ("bench", "bench.cli"):
            raise
    else:
        app.cli.add_command(bench_cli)

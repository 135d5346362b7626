# Cases for .semgrep/rules.yml, checked by `semgrep --test .semgrep/`.
# Not imported by anything.
import flask
from flask import Markup as FlaskMarkup
from flask import redirect, render_template_string, request, send_file, send_from_directory, url_for
from markupsafe import Markup
from werkzeug.utils import redirect as wz_redirect
from werkzeug.utils import send_file as wz_send_file


def safe_next(target):
    return target if target and target.startswith("/") and not target.startswith("//") else None


def redirects(case_id):
    # ruleid: flask-redirect-from-request
    redirect(request.args.get("next"))
    # ruleid: flask-redirect-from-request
    redirect(request.referrer)
    # ruleid: flask-redirect-from-request
    redirect(request.args["next"] or url_for("home"))
    # ruleid: flask-redirect-from-request
    flask.redirect(flask.request.form.get("back"))
    # ruleid: flask-redirect-from-request
    wz_redirect(request.url)
    target = request.values.get("next")
    # ruleid: flask-redirect-from-request
    redirect(target)
    # ruleid: flask-redirect-from-request
    redirect(f"/cases/{request.args['id']}")
    # ok: flask-redirect-from-request
    redirect(url_for("cases.detail", case_id=request.args.get("id")))
    # ok: flask-redirect-from-request
    redirect(safe_next(request.args.get("next")) or url_for("home"))
    checked = safe_next(request.args.get("next"))
    # ok: flask-redirect-from-request
    redirect(checked or url_for("home"))
    # ok: flask-redirect-from-request
    redirect(url_for("cases.detail", case_id=case_id))


def templates(name):
    # ruleid: flask-render-template-string
    render_template_string("<p>{{ name }}</p>", name=name)
    # ruleid: flask-render-template-string
    flask.render_template_string(name)
    # ok: flask-render-template-string
    flask.render_template("public/index.html", name=name)


def markup(name, parts):
    # ruleid: markup-non-literal
    Markup(name)
    # ruleid: markup-non-literal
    Markup("<b>" + name + "</b>")
    # ruleid: markup-non-literal
    Markup(f"<b>{name}</b>")
    # ruleid: markup-non-literal
    Markup("".join(parts))
    # ruleid: markup-non-literal
    FlaskMarkup(name)
    # ok: markup-non-literal
    Markup("<br>")
    # ok: markup-non-literal
    Markup("<b>{}</b>").format(name)
    # ok: markup-non-literal
    Markup.escape(name)


def files(path, folder, name):
    # ruleid: send-file-not-attachment
    send_file(path)
    # ruleid: send-file-not-attachment
    send_file(path, mimetype="application/pdf", as_attachment=False)
    # ruleid: send-file-not-attachment
    send_from_directory(folder, name)
    # ruleid: send-file-not-attachment
    flask.send_file(path, download_name=name)
    # ruleid: send-file-not-attachment
    wz_send_file(path, environ=None)
    # ok: send-file-not-attachment
    send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name)
    # ok: send-file-not-attachment
    send_from_directory(folder, name, as_attachment=True)

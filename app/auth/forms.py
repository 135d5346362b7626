from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField(
        _l("用户名"), validators=[DataRequired(_l("请输入用户名")), Length(max=80)]
    )
    password = PasswordField(
        _l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=200)]
    )
    submit = SubmitField(_l("登录"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("退出登录"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("当前密码"), validators=[DataRequired(_l("请输入当前密码")), Length(max=200)]
    )
    new_password = PasswordField(
        _l("新密码（至少 8 个字符）"),
        validators=[
            DataRequired(_l("请输入新密码")),
            Length(min=8, max=200, message=_l("密码须为 8 到 200 个字符")),
        ],
    )
    confirm = PasswordField(
        _l("再次输入新密码"),
        validators=[
            DataRequired(_l("请再次输入新密码")),
            EqualTo("new_password", _l("两次输入的新密码不一致")),
        ],
    )
    submit = SubmitField(_l("修改密码"))

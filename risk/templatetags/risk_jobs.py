"""`{% risk_refresh_panel group %}`: the group page's risk refresh button and last run
(risk.views_jobs.group_refresh_section; one query)."""

from django import template

register = template.Library()


@register.inclusion_tag("risk/_refresh_risk.html", takes_context=True)
def risk_refresh_panel(context, group):
    from risk.views_jobs import group_refresh_section

    return {"refresh": group_refresh_section(group), "csrf_token": context.get("csrf_token")}

"""HTML forms for deals and pipelines. They parse input; the services decide what is valid."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.deals.models import Investment, StopLossDecision, chosen_reasons


def _date(label: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


def _money(label: Any, help_text: Any = "") -> forms.CharField:
    # Parsed by the service (Decimal, two places): a form field would round silently.
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class DealForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    organisation_name = forms.CharField(
        label=_("Organisation"),
        required=False,
        widget=forms.TextInput(attrs={"list": "deal-organisations", "autocomplete": "off"}),
        help_text=_("Its name as in your book"),
    )
    people_names = forms.CharField(
        label=_("People"),
        required=False,
        help_text=_("Names as in your book, separated by commas"),
    )
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    amount = _money(_("Amount (price to the client)"))
    currency = forms.CharField(label=_("Currency"), max_length=3)
    margin = _money(_("Our margin"), _("What we keep, in money; negative if we lose"))
    client_benefit = _money(
        _("Client's expected benefit"), _("What the client expects to gain, in money")
    )
    next_step = forms.CharField(label=_("Next step"), max_length=300)
    next_step_on = _date(_("Next step date"))
    referral = forms.TypedChoiceField(
        label=_("Came from the referral"), coerce=int, required=False, empty_value=None
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    stoploss_money = _money(
        _("Stop-loss: money"),
        _("The most we will invest to win it (hours × rate, expenses, discounts); empty: none"),
    )
    stoploss_hours = forms.CharField(
        label=_("Stop-loss: hours"),
        required=False,
        help_text=_("The most hours we will put in; empty: none"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(
        self,
        *args: Any,
        owners: list[tuple[int, str]],
        referrals: list[tuple[int, str]],
        stages: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # An empty choice keeps the owner (say, one who has left the team and is not listed).
        cast(forms.ChoiceField, self.fields["owner"]).choices = [("", "—"), *owners]
        cast(forms.ChoiceField, self.fields["referral"]).choices = [("", "—"), *referrals]
        if stages is not None:
            self.fields["stage"] = forms.TypedChoiceField(
                label=_("Stage"), coerce=int, choices=stages
            )


class NextStepForm(forms.Form):
    next_step = forms.CharField(label=_("Next step"), max_length=300)
    next_step_on = _date(_("Date"))


class MoveForm(forms.Form):
    stage = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(
        label=_("Why was it won or lost?"),
        choices=[("", "—"), *chosen_reasons()],
        required=False,
    )
    note = forms.CharField(
        label=_("In a few words"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PipelineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    open_stages = forms.CharField(
        label=_("Open stages"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line, in order"),
    )
    won_stage = forms.CharField(label=_("Won stage"), max_length=100, initial=_("Won"))
    lost_stage = forms.CharField(label=_("Lost stage"), max_length=100, initial=_("Lost"))
    stale_after_days = forms.IntegerField(
        label=_("Stale after (days)"),
        min_value=1,
        max_value=3650,
        initial=30,
        help_text=_("A deal with no stage change nor new next step for longer is flagged"),
    )

    def stages(self) -> list[dict[str, str]]:
        lines = [line.strip() for line in self.cleaned_data["open_stages"].splitlines()]
        return [
            *({"name": line, "outcome": "open"} for line in lines if line),
            {"name": self.cleaned_data["won_stage"], "outcome": "won"},
            {"name": self.cleaned_data["lost_stage"], "outcome": "lost"},
        ]


class InvestmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Investment.Kind.choices)
    on = _date(_("Date"))
    hours = forms.CharField(
        label=_("Hours"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    rate = _money(_("Rate per hour"))
    amount = _money(_("Amount"), _("For an expense or a discount"))
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class DecisionForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("Decision"),
        choices=StopLossDecision.Choice.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
    money_limit = _money(_("New money limit"))
    hours_limit = forms.CharField(
        label=_("New hours limit"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class TenderForm(forms.Form):
    """A deal's tender; the competitor rows come as lists (`competitor_name`,
    `competitor_amount`) beside these fields."""

    bidders = forms.IntegerField(
        label=_("Number of bidders"), required=False, min_value=1, max_value=1000
    )
    our_bid = _money(_("Our bid"))
    winning_price = _money(_("Winning price"), _("Once the deal is closed"))
    winner = forms.CharField(
        label=_("Won by"),
        required=False,
        max_length=200,
        help_text=_("When we lost: one of the competitors named"),
        widget=forms.TextInput(attrs={"list": "tender-competitors", "autocomplete": "off"}),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReportForm(forms.Form):
    """The win/loss report's period and pipeline, from the query string."""

    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    pipeline = forms.TypedChoiceField(
        label=_("Pipeline"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, pipelines: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["pipeline"])
        field.choices = [("", _("All pipelines")), *pipelines]
        # Named as in the API's query string: ?from=2026-01-01&to=2026-06-30
        self.fields = {
            "from": self.fields["start"],
            "to": self.fields["end"],
            "pipeline": self.fields["pipeline"],
        }

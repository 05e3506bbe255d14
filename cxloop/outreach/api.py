"""/api/v1/outreach: a mail provider's bounce webhook marks addresses bounced, so later sends skip them."""

from __future__ import annotations

from ninja import Field, Router, Schema

from cxloop.accounts.api_auth import write_key

from . import services

router = Router(tags=["outreach"])


class BouncesIn(Schema):
    emails: list[str] = Field(
        ...,
        description=f"Addresses that bounced (1 to {services.MAX_BOUNCES_PER_CALL} a call)",
        examples=[["ana@example.com"]],
    )


class BouncesOut(Schema):
    addresses: int = Field(..., description="Distinct addresses recorded as bounced")
    invitations_marked: int = Field(..., description="Open invitations to them, now marked bounced")


@router.post(
    "/outreach/bounces",
    response=BouncesOut,
    auth=write_key,
    summary="Report bounced email addresses",
    description=(
        "For an email provider's bounce webhook: the addresses are suppressed for later survey invitations "
        "of this workspace, and their open invitations show as bounced. Repeating a call changes nothing "
        "more."
    ),
)
def report_bounces(request, payload: BouncesIn):
    addresses, marked = services.bounces_record(workspace=request.auth.workspace, emails=payload.emails)
    return {"addresses": addresses, "invitations_marked": marked}

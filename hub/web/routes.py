"""The pages' routes. A page that cannot be shown answers a page saying why, with the error
code and the request id (the same codes as the API)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.web import bundles, citizen, desks, guide, portal, staff_auth, workbench
from hub.web.layout import LARGE, TEXT_COOKIE, asset, problem_page, safe_back
from hub.web.queries import PageProblem

Handler = Callable[[Request], Awaitable[Response]]


def _shown(handler: Handler) -> Handler:
    async def shown(request: Request) -> Response:
        try:
            return await handler(request)
        except PageProblem as problem:
            return problem_page(
                request, problem.status, problem.title, problem.message, problem.code
            )

    return shown


def _staff(handler: workbench.StaffHandler) -> Handler:
    """A workbench page: signed in first, its problems shown as pages."""
    return _shown(workbench.signed_in(handler))


async def text_size(request: Request) -> Response:
    """Switch between standard and large text (a cookie for a year), then go back."""
    response = RedirectResponse(safe_back(request.query_params.get("back")), status_code=303)
    if request.query_params.get("size") == LARGE:
        response.set_cookie(TEXT_COOKIE, LARGE, max_age=365 * 86400, httponly=True, samesite="lax")
    else:
        response.delete_cookie(TEXT_COOKIE, httponly=True, samesite="lax")
    return response


ROUTES = [
    Route("/", _shown(citizen.home)),
    Route("/search", _shown(citizen.search)),
    Route("/browse", _shown(citizen.browse)),
    Route("/services/{code}", _shown(guide.guide)),
    Route("/services/{code}/checklist", _shown(guide.checklist)),
    Route("/bundles/{code}", _shown(bundles.bundle_page)),
    Route("/data", _shown(portal.portal)),
    Route("/data/{code}", _shown(portal.dataset_page)),
    Route("/staff", _staff(workbench.home)),
    Route("/staff/sign-in", staff_auth.sign_in),
    Route("/staff/callback", staff_auth.callback),
    Route("/staff/members", _staff(workbench.members)),
    Route("/staff/transfers", _staff(workbench.transfers)),
    Route(
        "/staff/transfers/decide",
        _staff(workbench.decide),
        methods=["POST"],
    ),
    Route("/staff/transfers/withdraw", _staff(workbench.withdraw), methods=["POST"]),
    Route("/staff/audit", _staff(workbench.audit)),
    Route("/staff/sharing", _staff(desks.sharing)),
    Route("/staff/sharing/request", _staff(desks.submit_request), methods=["POST"]),
    Route("/staff/sharing/review", _staff(desks.review_request), methods=["POST"]),
    Route("/staff/search-terms", _staff(desks.search_terms)),
    Route("/staff/search-terms/put", _staff(desks.put_synonym), methods=["POST"]),
    Route("/staff/search-terms/remove", _staff(desks.remove_synonym), methods=["POST"]),
    Route("/text-size", text_size),
    Route("/static/{name}", asset),
]

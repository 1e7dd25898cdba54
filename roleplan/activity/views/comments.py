"""The comment thread of any object: shown, added to, edited, deleted, followed, and the people
a mention may name. Host pages load the thread after they render ({% comments_for obj %}):
the thread is a region of its own page here, so the host pays no query for it.

Access: the object must be visible to the person (targets.find), else 404, whatever its kind:
a sync meeting's existence is not an outsider's to know.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from roleplan.activity import mentions, services, targets
from roleplan.activity.forms import CommentEditForm, CommentForm
from roleplan.activity.models import Comment, Follow
from roleplan.activity.targets import Target
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit

# Threads shown at first: the latest ones; the rest on asking.
FIRST_THREADS = 30


def _find(request: HttpRequest, kind: str, pk: int) -> tuple[Target, object]:
    found = targets.find(request.user, kind, pk)
    if found is None:
        raise Http404("No such thing to comment on.")
    return found


def _comment(request: HttpRequest, comment_id: int) -> tuple[Target, object, Comment]:
    """A comment on an object the person may see, with that object."""
    comment = Comment.objects.select_related("content_type").filter(pk=comment_id).first()
    if comment is None:
        raise Http404("No such comment.")
    model = comment.content_type.model_class()
    target = next((t for t in targets.COMMENTABLE.values() if t.model is model), None)
    obj = target.get(request.user, comment.object_id) if target else None
    if obj is None:
        raise Http404("No such comment.")
    return target, obj, comment


def thread_context(
    request: HttpRequest, target: Target, obj, *, form: CommentForm | None = None, **extra
) -> dict:
    threads = Comment.objects.on(obj).filter(parent__isnull=True)
    total = threads.count()
    shown = threads
    hidden = 0
    if request.GET.get("all") != "1" and total > FIRST_THREADS:
        hidden = total - FIRST_THREADS
        shown = threads.order_by("-created_at", "-id")[:FIRST_THREADS]
    replies = Comment.objects.select_related("author").order_by("created_at", "id")
    comments = sorted(
        shown.select_related("author").prefetch_related(Prefetch("replies", queryset=replies)),
        key=lambda c: (c.created_at, c.pk),
    )
    following = Follow.objects.filter(
        user=request.user, content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).exists()
    return {
        "target": target,
        "obj": obj,
        "kind": target.slug,
        "title": target.title(obj),
        "context_label": target.context(obj),
        "target_url": target.url(obj),
        "comments": comments,
        "total": total,
        "shown": sum(1 + len(c.replies.all()) for c in comments),
        "hidden": hidden,
        "following": following,
        "form": form or CommentForm(),
        **extra,
    }


def render_thread(request: HttpRequest, context: dict, *, status: int = 200) -> HttpResponse:
    template = "activity/thread.html#comments" if request.htmx else "activity/thread.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def thread(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """GET: the thread (a region to htmx, a page otherwise). POST: a comment or a reply."""
    target, obj = _find(request, kind, pk)
    if request.method == "GET":
        return render_thread(request, thread_context(request, target, obj))
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = services.comment_add(
                target=target,
                obj=obj,
                by=request.user,
                body=form.cleaned_data["body"],
                parent_id=form.cleaned_data["parent"],
            )
        except ValidationError as exc:
            _add(form, exc)
        else:
            if not request.htmx:
                messages.success(request, "Comment added.")
                return redirect(f"{target.url(obj)}#comment-{comment.pk}")
            return render_thread(request, thread_context(request, target, obj))
    reply_to = form.data.get("parent") or ""
    context = thread_context(
        request,
        target,
        obj,
        form=form if not reply_to else None,
        reply_form=form if reply_to else None,
        reply_to=reply_to,
    )
    return render_thread(request, context, status=422)


def _add(form, exc: ValidationError) -> None:
    """A service's ValidationError shown next to the form's fields."""
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    """One's own comment in a form (GET), saved (POST): the thread comes back."""
    target, obj, comment = _comment(request, comment_id)
    if comment.author_id != request.user.pk or comment.is_deleted:
        raise PermissionDenied("Only its author can change a comment.")
    status = 200
    conflict = None
    if request.method == "POST":
        form = CommentEditForm(request.POST)
        status = 422
        if form.is_valid():
            try:
                services.comment_edit(
                    target=target,
                    obj=obj,
                    comment_id=comment.pk,
                    version=form.cleaned_data["version"],
                    by=request.user,
                    body=form.cleaned_data["body"],
                )
            except ValidationError as exc:
                _add(form, exc)
            except StaleEdit as exc:
                conflict = exc
                comment = exc.current
                form = CommentEditForm(
                    {"body": form.cleaned_data["body"], "version": exc.current.version}
                )
                status = 409
            else:
                if not request.htmx:
                    return redirect(f"{target.url(obj)}#comment-{comment.pk}")
                return render_thread(request, thread_context(request, target, obj))
    else:
        form = CommentEditForm(initial={"body": comment.body, "version": comment.version})
    context = {
        "target": target,
        "obj": obj,
        "kind": target.slug,
        "title": target.title(obj),
        "target_url": target.url(obj),
        "comment": comment,
        "edit_form": form,
        "conflict": conflict,
    }
    template = "activity/comment_edit.html"
    return render(
        request, f"{template}#comment-edit" if request.htmx else template, context, status=status
    )


@require_POST
def delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    target, obj, comment = _comment(request, comment_id)
    if not (comment.author_id == request.user.pk or request.user.is_staff):
        raise PermissionDenied("Only its author can delete a comment.")
    if not comment.is_deleted:
        services.comment_delete(comment_id=comment.pk, by=request.user)
    if not request.htmx:
        messages.success(request, "Comment deleted.")
        return redirect(f"{target.url(obj)}#comment-{comment.pk}")
    return render_thread(request, thread_context(request, target, obj))


@require_POST
def follow(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    target, obj = _find(request, kind, pk)
    following = services.follow_set(
        obj=obj, by=request.user, following=request.POST.get("following") == "1"
    )
    if not request.htmx:
        messages.success(
            request,
            f"You follow {target.title(obj)}." if following else "You no longer follow it.",
        )
        return redirect(target.url(obj))
    context = {"kind": target.slug, "obj": obj, "following": following, "title": target.title(obj)}
    return render(request, "activity/thread.html#follow", context)


@require_GET
def people(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Who a mention may name here: people who can see the object, by the start of a name."""
    target, obj = _find(request, kind, pk)
    found = mentions.suggestions(target, obj, request.GET.get("q", "")[:50])
    return render(request, "activity/_people.html", {"people": found, "kind": kind, "obj": obj})

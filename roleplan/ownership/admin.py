"""Admin: assets with their history read-only; users who still own assets cannot be deactivated."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import User

from roleplan.ownership import services
from roleplan.ownership.models import Asset, Handover


class HandoverInline(admin.TabularInline):
    model = Handover
    fk_name = "asset"
    fields = ("at", "from_owner", "to_owner", "by", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-at", "-id")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "owner", "deputy", "team", "confirmed_at")
    list_filter = ("kind",)
    search_fields = ("name", "team", "owner__username", "owner__last_name")
    list_select_related = ("owner", "deputy")
    inlines = [HandoverInline]
    readonly_fields = ("version", "created_at", "updated_at", "updated_by")

    def get_readonly_fields(self, request, obj=None):
        # The owner changes only through a handover, never by editing the row.
        if obj is not None:
            return (*self.readonly_fields, "owner", "kind", "slug", "confirmed_at")
        return self.readonly_fields

    def save_model(self, request, obj: Asset, form, change: bool) -> None:
        if change:
            # An edit like any other: a form opened on the old version is then stale.
            obj.version += 1
            obj.updated_by = request.user
            super().save_model(request, obj, form, change)
            return
        asset = services.asset_register(
            kind=obj.kind,
            name=obj.name,
            owner=obj.owner,
            by=request.user,
            deputy=obj.deputy,
            team=obj.team,
            description=obj.description,
            reason="Registered in the admin",
        )
        obj.pk = asset.pk
        obj.slug = asset.slug

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the registry keeps every asset with its history


@admin.register(Handover)
class HandoverAdmin(admin.ModelAdmin):
    list_display = ("asset", "from_owner", "to_owner", "by", "at")
    list_select_related = ("asset", "from_owner", "to_owner", "by")
    search_fields = ("asset__name", "reason")
    readonly_fields = ("asset", "from_owner", "to_owner", "by", "reason", "at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class OwnerAwareUserChangeForm(UserChangeForm):
    def clean_is_active(self) -> bool:
        is_active = self.cleaned_data.get("is_active")
        if self.instance.pk and self.instance.is_active and not is_active:
            owned = list(Asset.objects.filter(owner=self.instance).order_by("kind", "name"))
            if owned:
                names = ", ".join(f"{a.name} ({a.get_kind_display().lower()})" for a in owned)
                raise forms.ValidationError(
                    f"{self.instance.get_username()} still owns {len(owned)} asset"
                    f"{'s' if len(owned) != 1 else ''}: {names}. Hand them over first."
                )
        return is_active


class OwnerAwareUserAdmin(UserAdmin):
    form = OwnerAwareUserChangeForm
    actions = ["deactivate_users"]

    @admin.action(description="Deactivate selected users (refused for owners)")
    def deactivate_users(self, request, queryset) -> None:
        for user in queryset:
            try:
                services.user_deactivate(user=user)
            except services.OwnerStillOwns as exc:
                self.message_user(request, str(exc), level="error")
            else:
                self.message_user(request, f"{user.get_username()} is deactivated.")


admin.site.unregister(User)
admin.site.register(User, OwnerAwareUserAdmin)

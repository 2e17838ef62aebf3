"""Handlers of the Brevo simulator: contacts, attributes, folders, lists, segments."""

from __future__ import annotations

from typing import Any

from ..base import Context, SimError
from .common import (
    bad,
    int_list,
    missing,
    no_content,
    not_found,
    page,
    query_int,
    sort_order,
    string_field,
)
from .models import BrevoState, iso, parse_iso

ATTRIBUTE_CATEGORIES = ("normal", "transactional", "category", "calculated", "global")
ATTRIBUTE_TYPES = ("text", "date", "float", "boolean", "id", "category", "multiple-choice")
IDENTIFIER_TYPES = ("email_id", "phone_id", "contact_id", "ext_id", "whatsapp_id",
                    "landline_number_id")
LIST_MEMBERS_MAX = 150
CONTACT_FIELDS = ("email", "ext_id", "attributes", "emailBlacklisted", "smsBlacklisted",
                  "listIds", "updateEnabled", "smtpBlacklistSender", "unlinkListIds")


def _state(ctx: Context) -> BrevoState:
    return ctx.state  # type: ignore[no-any-return]


def _contact(ctx: Context, identifier: str) -> dict[str, Any]:
    kind = ctx.query.get("identifierType") or None
    if kind is not None and kind not in IDENTIFIER_TYPES:
        raise bad(f"identifierType should be one of {', '.join(IDENTIFIER_TYPES)}")
    record = _state(ctx).find_contact(identifier, kind)
    if record is None:
        raise not_found("Contact does not exist")
    return record


def _since(ctx: Context, name: str) -> float | None:
    raw = ctx.query.get(name)
    if raw in (None, ""):
        return None
    value = parse_iso(raw)
    if value is None:
        raise bad(f"{name} should be a date-time (YYYY-MM-DDTHH:mm:ss.SSSZ)")
    return value


def _check_attributes(state: BrevoState, attrs: Any) -> dict[str, Any]:
    if not isinstance(attrs, dict):
        raise bad("attributes should be an object")
    out = {}
    for key, value in attrs.items():
        name = str(key).upper()
        record = state.attribute(name)
        if record is None:
            raise bad(f"Attribute {name} does not exist in your account")
        if value is not None and not isinstance(value, (str, int, float, bool, list)):
            raise bad(f"Invalid value for attribute {name}")
        out[name] = value
    return out


def _check_lists(state: BrevoState, ids: list[int] | None) -> list[int]:
    for lid in ids or []:
        if lid not in state.lists:
            raise not_found(f"List ID {lid} does not exist")
    return list(ids or [])


def _apply(state: BrevoState, record: dict[str, Any], body: dict[str, Any]) -> None:
    """Apply an update body (``updateContact`` / a batch entry) to a contact."""
    attrs = _check_attributes(state, body.get("attributes") or {})
    ext_id = string_field(body, "ext_id")
    new_email = attrs.pop("EMAIL", None)
    if new_email is not None:
        if not isinstance(new_email, str) or "@" not in new_email:
            raise bad("Invalid email address")
        other = state.by_email.get(new_email.lower())
        if other is not None and other != record["id"]:
            raise bad("Unable to update contact, email already associated with another "
                      "contact", "duplicate_parameter")
    if ext_id is not None:
        other = state.by_ext_id.get(ext_id)
        if other is not None and other != record["id"]:
            raise bad("ext_id already associated with another contact", "duplicate_parameter")
        attrs["EXT_ID"] = ext_id
    add = _check_lists(state, int_list(body, "listIds"))
    remove = _check_lists(state, int_list(body, "unlinkListIds"))
    state.unindex(record)
    if new_email is not None:
        record["email"] = new_email
    current = record["attributes"]
    for name, value in attrs.items():
        if value is None or value == "":
            current.pop(name, None)
        else:
            current[name] = value
    for flag in ("emailBlacklisted", "smsBlacklisted"):
        if flag in body:
            if not isinstance(body[flag], bool):
                raise bad(f"{flag} should be a boolean")
            record[flag] = body[flag]
    record["listIds"] = [i for i in record["listIds"] if i not in remove]
    record["listIds"] += [i for i in add if i not in record["listIds"]]
    state.index(record)
    state.touch(record["id"])


# -- contacts -----------------------------------------------------------------------------------
def list_contacts(ctx: Context) -> Any:
    state = _state(ctx)
    desc = sort_order(ctx)
    modified = _since(ctx, "modifiedSince")
    created = _since(ctx, "createdSince")
    ids = list(state.contacts)
    if desc:
        ids.reverse()
    if modified is not None:
        ids = [i for i in ids if state.modified[i] > modified]
    if created is not None:
        ids = [i for i in ids if state.created[i] > created]
    if ctx.query.get("segmentId"):
        seg = state.segments.get(query_int(ctx, "segmentId", 0))
        if seg is None:
            raise not_found("Segment does not exist")
        ids = [i for i in ids if seg["_match"](state.contacts[i])]
    lists = [x for raw in ctx.request.args.getlist("listIds") for x in raw.split(",")]
    if lists:
        if not all(x.strip().isdigit() for x in lists):
            raise bad("listIds should be integers")
        wanted = {int(x) for x in lists}
        ids = [i for i in ids if wanted.intersection(state.contacts[i]["listIds"])]
    chosen = page(ctx, ids, default=50, maximum=1000)
    return {"contacts": [state.contacts[i] for i in chosen], "count": len(ids)}


def create_contact(ctx: Context) -> Any:
    state = _state(ctx)
    body = ctx.body
    unknown = set(body) - set(CONTACT_FIELDS)
    if unknown:
        raise bad(f"Invalid parameter(s): {', '.join(sorted(unknown))}")
    email = string_field(body, "email")
    attrs = _check_attributes(state, body.get("attributes") or {})
    ext_id = string_field(body, "ext_id")
    if not email and not attrs.get("SMS") and not ext_id:
        raise missing("email")
    if email is not None and "@" not in email:
        raise bad("Invalid email address")
    existing = None
    if email:
        existing = state.by_email.get(email.lower())
    if existing is None and ext_id:
        existing = state.by_ext_id.get(ext_id)
    if existing is not None:
        if body.get("updateEnabled") is True:
            _apply(state, state.contacts[existing], {k: v for k, v in body.items()
                                                     if k not in ("email", "updateEnabled")})
            return no_content()
        raise bad("Contact already exist", "duplicate_parameter")
    if ext_id:
        attrs["EXT_ID"] = ext_id
    record = state.add_contact(email, attrs, list_ids=_check_lists(state, int_list(body, "listIds")),
                               email_blacklisted=bool(body.get("emailBlacklisted")),
                               sms_blacklisted=bool(body.get("smsBlacklisted")))
    return {"id": record["id"]}, 201


def get_contact(ctx: Context, identifier: str) -> Any:
    record = _contact(ctx, identifier)
    return {**record, "statistics": {}}


def update_contact(ctx: Context, identifier: str) -> Any:
    record = _contact(ctx, identifier)
    body = ctx.body
    if not body:
        raise bad("Request body is empty")
    _apply(_state(ctx), record, body)
    return no_content()


def delete_contact(ctx: Context, identifier: str) -> Any:
    state = _state(ctx)
    record = _contact(ctx, identifier)
    state.unindex(record)
    del state.contacts[record["id"]]
    state.created.pop(record["id"], None)
    state.modified.pop(record["id"], None)
    return no_content()


def batch_update(ctx: Context) -> Any:
    state = _state(ctx)
    entries = ctx.body.get("contacts")
    if not isinstance(entries, list) or not entries:
        raise missing("contacts")
    targets = []
    for entry in entries:  # validate every entry before applying any
        if not isinstance(entry, dict):
            raise bad("contacts should be an array of objects")
        keys = [k for k in ("email", "id", "sms", "ext_id") if entry.get(k) is not None]
        if not keys:
            raise missing("email or id")
        if entry.get("id") is not None:
            record = state.contacts.get(entry["id"]) if isinstance(entry["id"], int) else None
        elif entry.get("email") is not None:
            record = state.find_contact(str(entry["email"]), "email_id")
        elif entry.get("sms") is not None:
            record = state.find_contact(str(entry["sms"]), "phone_id")
        else:
            record = state.find_contact(str(entry["ext_id"]), "ext_id")
        if record is None:
            raise not_found("Contact does not exist")
        _check_attributes(state, entry.get("attributes") or {})
        targets.append((record, entry))
    for record, entry in targets:
        _apply(state, record, {k: v for k, v in entry.items()
                               if k not in ("email", "id", "sms")})
    return no_content()


def contact_stats(ctx: Context, identifier: str) -> Any:
    _contact(ctx, identifier)
    return {"messagesSent": [], "delivered": [], "opened": [], "clicked": []}


# -- attributes ---------------------------------------------------------------------------------
def list_attributes(ctx: Context) -> Any:
    return {"attributes": list(_state(ctx).attributes.values())}


def _attribute_key(category: str, name: str) -> tuple[str, str]:
    if category not in ATTRIBUTE_CATEGORIES:
        raise bad(f"attributeCategory should be one of {', '.join(ATTRIBUTE_CATEGORIES)}")
    return category, name.upper()


def create_attribute(ctx: Context, category: str, name: str) -> Any:
    state = _state(ctx)
    key = _attribute_key(category, name)
    if state.attribute(key[1]) is not None:
        raise bad("Attribute name already exists", "duplicate_parameter")
    body = ctx.body
    kind = body.get("type", "text" if category != "category" else "category")
    if kind not in ATTRIBUTE_TYPES:
        raise bad(f"type should be one of {', '.join(ATTRIBUTE_TYPES)}")
    if kind == "multiple-choice" and category != "normal":
        raise bad("multiple-choice attributes must be in the normal category")
    record: dict[str, Any] = {"name": key[1], "category": category, "type": kind}
    if body.get("enumeration") is not None:
        if category != "category":
            raise bad("enumeration is only for category attributes")
        record["enumeration"] = _enumeration(body["enumeration"])
    if body.get("multiCategoryOptions") is not None:
        record["multiCategoryOptions"] = _options(body["multiCategoryOptions"])
    if body.get("value") is not None:
        record["calculatedValue"] = str(body["value"])
    state.attributes[key] = record
    return no_content(201)


def _enumeration(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(
            isinstance(e, dict) and isinstance(e.get("value"), int)
            and isinstance(e.get("label"), str) for e in value):
        raise bad("enumeration should be an array of {value: integer, label: string}")
    return [{"value": e["value"], "label": e["label"]} for e in value]


def _options(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad("multiCategoryOptions should be an array of strings")
    return list(value)


def _attribute(ctx: Context, category: str, name: str) -> dict[str, Any]:
    record = _state(ctx).attributes.get(_attribute_key(category, name))
    if record is None:
        raise not_found("Attribute does not exist")
    return record


def update_attribute(ctx: Context, category: str, name: str) -> Any:
    record = _attribute(ctx, category, name)
    body = ctx.body
    if body.get("enumeration") is not None:
        record["enumeration"] = _enumeration(body["enumeration"])
    if body.get("multiCategoryOptions") is not None:
        options = record.setdefault("multiCategoryOptions", [])
        options += [o for o in _options(body["multiCategoryOptions"]) if o not in options]
    if body.get("value") is not None:
        record["calculatedValue"] = str(body["value"])
    return no_content()


def delete_attribute(ctx: Context, category: str, name: str) -> Any:
    state = _state(ctx)
    record = _attribute(ctx, category, name)
    del state.attributes[(category, record["name"])]
    for contact in state.contacts.values():
        contact["attributes"].pop(record["name"], None)
    return no_content()


# -- folders and lists --------------------------------------------------------------------------
def _name(body: dict[str, Any]) -> str:
    name = string_field(body, "name", required=True)
    assert name is not None
    return name


def list_folders(ctx: Context) -> Any:
    state = _state(ctx)
    items = list(state.folders.values())
    if sort_order(ctx):
        items.reverse()
    chosen = page(ctx, items, default=10, maximum=50)
    return {"folders": [state.folder_view(f) for f in chosen], "count": len(items)}


def create_folder(ctx: Context) -> Any:
    state = _state(ctx)
    fid = state.next_id("folder")
    state.folders[fid] = {"id": fid, "name": _name(ctx.body)}
    return {"id": fid}, 201


def _folder(ctx: Context, folder_id: int) -> dict[str, Any]:
    record = _state(ctx).folders.get(folder_id)
    if record is None:
        raise not_found("Folder ID does not exist")
    return record


def get_folder(ctx: Context, folder_id: int) -> Any:
    return _state(ctx).folder_view(_folder(ctx, folder_id))


def update_folder(ctx: Context, folder_id: int) -> Any:
    _folder(ctx, folder_id)["name"] = _name(ctx.body)
    return no_content()


def delete_folder(ctx: Context, folder_id: int) -> Any:
    state = _state(ctx)
    _folder(ctx, folder_id)
    for lid in [lid for lid, lst in state.lists.items() if lst["folderId"] == folder_id]:
        _drop_list(state, lid)
    del state.folders[folder_id]
    return no_content()


def folder_lists(ctx: Context, folder_id: int) -> Any:
    state = _state(ctx)
    _folder(ctx, folder_id)
    items = [lst for lst in state.lists.values() if lst["folderId"] == folder_id]
    if sort_order(ctx):
        items.reverse()
    chosen = page(ctx, items, default=10, maximum=50)
    return {"lists": [state.list_view(lst) for lst in chosen], "count": len(items)}


def list_lists(ctx: Context) -> Any:
    state = _state(ctx)
    items = list(state.lists.values())
    if sort_order(ctx):
        items.reverse()
    chosen = page(ctx, items, default=10, maximum=50)
    return {"lists": [state.list_view(lst) for lst in chosen], "count": len(items)}


def create_list(ctx: Context) -> Any:
    state = _state(ctx)
    body = ctx.body
    name = _name(body)
    folder = body.get("folderId")
    if folder is None:
        raise missing("folderId")
    if not isinstance(folder, int) or folder not in state.folders:
        raise not_found("Folder ID does not exist")
    lid = state.next_id("list")
    state.lists[lid] = {"id": lid, "name": name, "folderId": folder,
                        "createdAt": iso(state.now())}
    return {"id": lid}, 201


def _list(ctx: Context, list_id: int) -> dict[str, Any]:
    record = _state(ctx).lists.get(list_id)
    if record is None:
        raise not_found("List ID does not exist")
    return record


def get_list(ctx: Context, list_id: int) -> Any:
    return _state(ctx).list_view(_list(ctx, list_id), extended=True)


def update_list(ctx: Context, list_id: int) -> Any:
    state = _state(ctx)
    record = _list(ctx, list_id)
    body = ctx.body
    if ("name" in body) == ("folderId" in body):
        raise bad("Either of the two parameters (name, folderId) can be updated at a time")
    if "name" in body:
        record["name"] = _name(body)
    else:
        if body["folderId"] not in state.folders:
            raise not_found("Folder ID does not exist")
        record["folderId"] = body["folderId"]
    return no_content()


def _drop_list(state: BrevoState, list_id: int) -> None:
    del state.lists[list_id]
    for contact in state.contacts.values():
        if list_id in contact["listIds"]:
            contact["listIds"].remove(list_id)


def delete_list(ctx: Context, list_id: int) -> Any:
    _list(ctx, list_id)
    _drop_list(_state(ctx), list_id)
    return no_content()


def list_contacts_of_list(ctx: Context, list_id: int) -> Any:
    state = _state(ctx)
    _list(ctx, list_id)
    modified = _since(ctx, "modifiedSince")
    ids = [i for i, c in state.contacts.items() if list_id in c["listIds"]
           and (modified is None or state.modified[i] > modified)]
    if sort_order(ctx):
        ids.reverse()
    chosen = page(ctx, ids, default=50, maximum=500)
    return {"contacts": [state.contacts[i] for i in chosen], "count": len(ids)}


def _members(ctx: Context, remove: bool) -> tuple[list[Any], list[dict[str, Any] | None]]:
    body = ctx.body
    state = _state(ctx)
    given: list[Any]
    if body.get("emails") is not None:
        given = body["emails"]
        if not isinstance(given, list) or not all(isinstance(e, str) for e in given):
            raise bad("emails should be an array of strings")
        kind: str | None = "email_id"
    elif body.get("ids") is not None:
        given = int_list(body, "ids") or []
        kind = "contact_id"
    elif remove and body.get("all") is True:
        return [], []
    else:
        raise missing("emails or ids")
    if not given:
        raise missing("emails or ids")
    if len(given) > LIST_MEMBERS_MAX:
        raise SimError(400, "out_of_range",
                       f"You can pass a maximum of {LIST_MEMBERS_MAX} contacts in one request")
    return given, [state.find_contact(str(g), kind) for g in given]


def add_to_list(ctx: Context, list_id: int) -> Any:
    _list(ctx, list_id)
    given, found = _members(ctx, remove=False)
    success, failure = [], []
    for key, record in zip(given, found, strict=True):
        if record is None or list_id in record["listIds"]:
            failure.append(key)
            continue
        record["listIds"].append(list_id)
        _state(ctx).touch(record["id"])
        success.append(key)
    if not success:
        raise bad("Contact already in list and/or does not exist")
    return {"contacts": {"success": success, "failure": failure}}, 201


def remove_from_list(ctx: Context, list_id: int) -> Any:
    state = _state(ctx)
    _list(ctx, list_id)
    given, found = _members(ctx, remove=True)
    if not given:  # {"all": true}
        for contact in state.contacts.values():
            if list_id in contact["listIds"]:
                contact["listIds"].remove(list_id)
        return {"contacts": {"processId": 1}}, 201
    success, failure = [], []
    for key, record in zip(given, found, strict=True):
        if record is None or list_id not in record["listIds"]:
            failure.append(key)
            continue
        record["listIds"].remove(list_id)
        state.touch(record["id"])
        success.append(key)
    if not success:
        raise bad("Contact does not exist in the list")
    return {"contacts": {"success": success, "failure": failure}}, 201


def list_segments(ctx: Context) -> Any:
    state = _state(ctx)
    items = list(state.segments.values())
    if sort_order(ctx):
        items.reverse()
    chosen = page(ctx, items, default=10, maximum=50)
    return {"segments": [{k: v for k, v in s.items() if not k.startswith("_")} for s in chosen],
            "count": len(items)}

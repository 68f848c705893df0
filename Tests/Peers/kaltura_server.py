#!/usr/bin/env python3
"""A test server for the subset of the Kaltura API v3 that RoomRecorder's Kaltura target and schedule reader use,
with the real request and response formats: POST /api_v3/service/<service>/action/<action>, parameters as form
fields (application/x-www-form-urlencoded or multipart/form-data, nested objects as `entry:name` or
`entry[name]`), `format=1` JSON answers (null properties left out, `objectType` on every object), and errors as
HTTP 200 with a `KalturaAPIException` object whose `args` is a name -> value map.

usage: kaltura_server.py PORT STATE_DIR [--ks-expiry SECONDS] [--hash-type SHA1|SHA256|SHA512|MD5]
                                        [--app-token-session-type 0|2] [--app-token-privileges PRIVILEGES]

The partner is 1234, its app token is id `0_apptoken` with token `a3f1c0de` (hash type from --hash-type; the
sessions it starts are of the token's session type, 2 = ADMIN unless --app-token-session-type says 0 = USER, as
Kaltura lets the token's type win over the `type` asked for, with the token's session privileges: of those,
`setrole:CAPTURE_DEVICE_ROLE` allows only the actions Kaltura's CAPTURE_DEVICE_PERMISSION allows (others answer
SERVICE_FORBIDDEN) and `edituser:*` or `edituser:<user id>` lets a USER session change an entry's owner in
media.update; a USER session may not name another owner in media.add), its categories are 77 ("Recordings") and
78. Uploaded bytes go to STATE_DIR/tokens/<id>; an entry's content to STATE_DIR/entries/<id>.

Implemented: session.startWidgetSession; appToken.startSession; media.add (entry:userId, entry:entitledUsersEdit /
Publish / View, entry:templateEntryId: the template's name, description, tags, co-editors/publishers/viewers and
categories are copied, its owner is not), media.get, media.update, media.list (filter referenceIdEqual, statusIn),
media.delete, media.addContent (KalturaUploadedFileTokenResource); baseEntry.get; uploadToken.add, uploadToken.get,
uploadToken.upload (resume, resumeAt, finalChunk), uploadToken.delete; categoryEntry.add, categoryEntry.list;
the schedule plugin's services, addressed as Kaltura addresses them (service `schedule_scheduleresource`,
`schedule_scheduleevent`, `schedule_scheduleeventresource`): scheduleResource.add / get / update / delete / list
(KalturaLocationScheduleResource, KalturaCameraScheduleResource), scheduleEvent.add / get / update / cancel /
delete / list (KalturaRecordScheduleEvent; a recurring event, recurrenceType 1 with a recurrence of frequency
`days` or `weeks`, byDay, interval, until or count, weekStartDay, timeZone, makes its instances, recurrenceType 2
with parentId, and is kept as their series template), scheduleEventResource.add / get / delete / list. Times are
Unix seconds; a time within 10 years of 0 is relative to now, as Kaltura reads it. scheduleEvent.list filters as
Kaltura's search index does: an instance is found by the resources of its parent unless it has links of its own,
`resourceIdEqual` matches only an event whose only linked resource is that one, `resourceIdsLike` /
`resourceIdsMultiLikeOr` / `resourceIdsMultiLikeAnd` match any of its resources, `templateEntryIdEqual` (on the
entry and record event filters only) matches single events and series, not instances; date filters compare the
one date they name; filter properties a filter class does not have are ignored, as Kaltura ignores them.

For the tests only (not Kaltura): GET /_test/state answers every entry, token, category entry, schedule resource,
schedule event and event-resource link as JSON, with the calls made; POST /_test/fail?code=CODE&count=N[&call=
service.action] makes the next N API calls (or the next N calls of that service.action, in lower case) answer that
KalturaAPIException (or, for an HTTP status such as 503, that status); POST /_test/seed with a JSON body
{"categories": {id: name}, "entries": [...], "resources": [...], "events": [...], "links": [...]} stores objects
without the API's checks (times as in the API, relative ones included; an event may name its "resourceIds"; a
recurring one makes its instances) and answers what it stored, with the ids given.
"""
import datetime
import email.parser
import email.policy
import hashlib
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
import zoneinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PARTNER_ID = 1234
APP_TOKEN_ID = "0_apptoken"
APP_TOKEN = "a3f1c0de"
CATEGORIES = {77: "Recordings", 78: "Lectures"}

# Entry statuses (KalturaEntryStatus) and upload token statuses (KalturaUploadTokenStatus).
ENTRY_READY, ENTRY_NO_CONTENT, ENTRY_DELETED = 2, 7, 3
TOKEN_PENDING, TOKEN_PARTIAL, TOKEN_FULL, TOKEN_CLOSED, TOKEN_DELETED = 0, 1, 2, 3, 5
# KalturaSessionType.
SESSION_USER, SESSION_ADMIN = 0, 2
# KalturaScheduleEventStatus, KalturaScheduleEventRecurrenceType, KalturaScheduleResourceStatus.
EVENT_CANCELLED, EVENT_ACTIVE, EVENT_DELETED = 1, 2, 3
NONE, RECURRING, RECURRENCE = 0, 1, 2
RESOURCE_DISABLED, RESOURCE_ACTIVE, RESOURCE_DELETED = 1, 2, 3

MAX_RELATIVE_TIME = 315360000  # Kaltura's max_relative_time: 10 years
MAX_SINGLE_EVENT_DURATION = 24 * 3600
MAX_EVENT_DURATION = 2 * 365 * 24 * 3600
MAX_RECURRENCES = 1000
MAX_PAGE_SIZE = 500

# Error codes with their argument names and message, as Kaltura words them.
ERRORS = {
    "MISSING_KS": ("", "Missing KS, session not established"),
    "INVALID_KS": ("KSID,ERR_CODE,ERR_DESC", 'Invalid KS "@KSID@", Error "@ERR_CODE@,@ERR_DESC@"'),
    "SERVICE_FORBIDDEN": ("SERVICE", "The access to service [@SERVICE@] is forbidden"),
    "SERVICE_DOES_NOT_EXISTS": ("SRV_NAME", 'Service "@SRV_NAME@" does not exists'),
    "ACTION_DOES_NOT_EXISTS": ("ACTION_NAME,SERVICE_NAME", 'Action "@ACTION_NAME@" does not exists for service "@SERVICE_NAME@"'),
    "MISSING_MANDATORY_PARAMETER": ("PARAM_NAME", 'Missing parameter "@PARAM_NAME@"'),
    "INVALID_ENUM_VALUE": ("ENUM_VAL,PARAM_NAME,ENUM_TYPE",
                           'Invalid enumeration value "@ENUM_VAL@" for parameter "@PARAM_NAME@", expecting enumeration type "@ENUM_TYPE@"'),
    "OBJECT_TYPE_ABSTRACT": ("OBJ_TYPE", 'The object type "@OBJ_TYPE@" is abstract, use one of the object implementations'),
    "PROPERTY_VALIDATION_CANNOT_BE_NULL": ("PROP_NAME", 'The property "@PROP_NAME@" cannot be null'),
    "PROPERTY_VALIDATION_ALL_MUST_BE_NULL_BUT_ONE": ("PROP_NAME", "Only one of the passed properties: @PROP_NAME@ should not be null"),
    "PROPERTY_VALIDATION_UNTIL_NOT_VALID": ("PROP_NAME", 'The property "@PROP_NAME@" is not valid'),
    "PROPERTY_VALIDATION_MIN_LENGTH": ("PROP_NAME,MIN_LEN", 'The property "@PROP_NAME@" must have a min length of @MIN_LEN@ characters'),
    "PROPERTY_VALIDATION_MAX_LENGTH": ("PROP_NAME,MAX_LEN", 'The property "@PROP_NAME@" cannot have more than @MAX_LEN@ characters'),
    "PROPERTY_VALIDATION_MIN_VALUE": ("PROP_NAME,MIN_VAL", 'The property "@PROP_NAME@" must have a min value of @MIN_VAL@'),
    "PROPERTY_VALIDATION_MAX_VALUE": ("PROP_NAME,MAX_VAL", 'The property "@PROP_NAME@" must have a max value of @MAX_VAL@'),
    "PROPERTY_VALIDATION_NOT_UPDATABLE": ("PROP_NAME", 'The property "@PROP_NAME@" cannot be updated'),
    "INVALID_OBJECT_ID": ("ID", "Invalid object id [@ID@]"),
    "INVALID_WIDGET_ID": ("WIDGET_ID", "Unknown widget [@WIDGET_ID@]"),
    "APP_TOKEN_ID_NOT_FOUND": ("ID", 'Application token id "@ID@" not found'),
    "INVALID_APP_TOKEN_HASH": ("", "Invalid application token hash"),
    "ENTRY_ID_NOT_FOUND": ("ENTRY_ID", 'Entry id "@ENTRY_ID@" not found'),
    "CATEGORY_NOT_FOUND": ("ID", 'Category id "@ID@" not found'),
    "CATEGORY_ENTRY_ALREADY_EXISTS": ("", "Entry already assigned to this category"),
    "SYSTEM_NAME_ALREADY_EXISTS": ("SYS_NAME", "System name [@SYS_NAME@] already exists"),
    "RESOURCE_PARENT_ID_NOT_FOUND": ("PARENT_ID", "Resource parent id [@PARENT_ID@] not found"),
    "SCHEDULE_RESOURCE_ID_NOT_FOUND": ("ID", "Schedule Resource id [@ID@] not found"),
    "SCHEDULE_EVENT_ID_NOT_FOUND": ("ID", "Schedule Event id [@ID@] not found"),
    "SCHEDULE_EVENT_RESOURCE_ALREADY_EXISTS": ("EVENT_ID,RESOURCE_ID",
                                               "Schedule event resource already exists with eventId[@EVENT_ID@] and resourceId (@RESOURCE_ID@)"),
    "INVALID_SCHEDULE_END_BEFORE_START": ("START,END", "End time [@END@] must be after start time [@START@]"),
    "MAX_SCHEDULE_DURATION_REACHED": ("MAX", "Maximum schedule duration [@MAX@] reached"),
    "MAX_SCHEDULE_DURATION_MUST_MATCH_END_TIME": ("", "Duration must match end time, keep one of them null to calculate automatically"),
    "RECURRENCE_CANT_BE_DELETE": ("ID,PARENT_ID", "Recurence [@ID@] cannot be deleted, use cancel or delete the parent recurring event [@PARENT_ID@]"),
    "SCHEDULE_EVENT_TYPE_CANT_BE_UPDATED": ("SOURCE_TYPE,TARGET_TYPE", " Can't update from type [@SOURCE_TYPE@] to type [@TARGET_TYPE@]"),
    "SCHEDULE_TIME_IN_USE": ("", "Another event is already scheduled during this time"),
    "START_TIME_AND_LINKED_TO_NOT_SET": ("", "Event must have either fields StartTime or LinkedTo set"),
    # Not Kaltura's: what this server does not model, said plainly rather than answered wrongly.
    "NOT_IMPLEMENTED_BY_TEST_SERVER": ("WHAT", "The test server does not implement @WHAT@"),
}


class APIError(Exception):
    def __init__(self, code, message, **args):
        super().__init__(message)
        self.code, self.message, self.args_ = code, message, args

    def json(self):
        # KalturaJsonSerializer writes the exception's args as a map (an empty one as []).
        # An error string without a code (Kaltura raises a few) has the whole string as its code and no message.
        return strip_nulls({"code": self.code, "message": self.message, "objectType": "KalturaAPIException",
                            "args": {k: str(v) for k, v in self.args_.items()} or []})


def kerr(code, *values):
    """The KalturaAPIException `code` with its arguments, worded as Kaltura words it."""
    names, message = ERRORS[code]
    args = {}
    for name, value in zip([n for n in names.split(",") if n], values):
        args[name] = value
        message = message.replace(f"@{name}@", str(value))
    return APIError(code, message, **args)


# --- Kaltura's API objects: the properties this server reads, with their types ------------------------------------
# kind: int, float, string, time, enum:<type> (int enum), senum:<type> (string enum), object:<class>
# access: "" (read-write), "ro" (readonly), "io" (insert only); limits: min/max length for strings, value for ints.

ENUMS = {
    "KalturaScheduleEventStatus": {1, 2, 3},
    "KalturaScheduleEventRecurrenceType": {0, 1, 2},
    "KalturaScheduleEventClassificationType": {1, 2, 3},
    "KalturaScheduleResourceStatus": {1, 2, 3},
    "KalturaMediaType": {1, 2, 5, 201, 202, 203, 204},
    "KalturaEntryStatus": {-2, -1, 0, 1, 2, 3, 4, 5, 6, 7},
    "KalturaScheduleEventRecurrenceFrequency": {"seconds", "minutes", "hours", "days", "weeks", "months", "years"},
    "KalturaScheduleEventRecurrenceDay": {"MO", "TU", "WE", "TH", "FR", "SA", "SU"},
}

EVENT_PROPS = {
    "id": ("int", "ro"), "partnerId": ("int", "ro"), "parentId": ("int", "ro"),
    "summary": ("string", "", {"min_len": 1, "max_len": 256}), "description": ("string", ""),
    "status": ("enum:KalturaScheduleEventStatus", "ro"), "startDate": ("time", ""), "endDate": ("time", ""),
    "referenceId": ("string", ""), "linkedBy": ("string", ""),
    "classificationType": ("enum:KalturaScheduleEventClassificationType", ""),
    "geoLatitude": ("float", ""), "geoLongitude": ("float", ""), "location": ("string", ""), "organizer": ("string", ""),
    "ownerId": ("string", ""), "priority": ("int", "", {"min": 0, "max": 9}), "sequence": ("int", "", {"min": 0}),
    "recurrenceType": ("enum:KalturaScheduleEventRecurrenceType", ""), "duration": ("int", "", {"min": 0}),
    "contact": ("string", ""), "comment": ("string", ""), "tags": ("string", ""),
    "createdAt": ("time", "ro"), "updatedAt": ("time", "ro"),
    "recurrence": ("object:KalturaScheduleEventRecurrence", ""),
    # KalturaEntryScheduleEvent
    "templateEntryId": ("string", ""), "entryIds": ("string", ""), "categoryIds": ("string", ""),
    "blackoutConflicts": ("string", "ro"),
}
RECURRENCE_PROPS = {
    "name": ("string", ""), "frequency": ("senum:KalturaScheduleEventRecurrenceFrequency", ""), "until": ("time", ""),
    "timeZone": ("string", ""), "count": ("int", ""), "interval": ("int", ""), "bySecond": ("string", ""),
    "byMinute": ("string", ""), "byHour": ("string", ""), "byDay": ("string", ""), "byMonthDay": ("string", ""),
    "byYearDay": ("string", ""), "byWeekNumber": ("string", ""), "byMonth": ("string", ""), "byOffset": ("string", ""),
    "weekStartDay": ("senum:KalturaScheduleEventRecurrenceDay", ""),
}
RESOURCE_PROPS = {
    "id": ("int", "ro"), "parentId": ("int", ""), "partnerId": ("int", "ro"),
    "name": ("string", "", {"min_len": 1, "max_len": 256}), "systemName": ("string", "", {"min_len": 1, "max_len": 256}),
    "description": ("string", ""), "status": ("enum:KalturaScheduleResourceStatus", "ro"), "tags": ("string", ""),
    "createdAt": ("time", "ro"), "updatedAt": ("time", "ro"),
}
EVENT_RESOURCE_PROPS = {
    "eventId": ("int", "io"), "resourceId": ("int", "io"), "partnerId": ("int", "ro"),
    "createdAt": ("time", "ro"), "updatedAt": ("time", "ro"),
}
MEDIA_ENTRY_PROPS = {
    "id": ("string", "ro"), "name": ("string", ""), "description": ("string", ""), "partnerId": ("int", "ro"),
    "userId": ("string", "", {"max_len": 100}), "creatorId": ("string", "io"), "tags": ("string", ""),
    "categories": ("string", ""), "categoriesIds": ("string", ""), "status": ("enum:KalturaEntryStatus", "ro"),
    "referenceId": ("string", ""), "entitledUsersEdit": ("string", ""), "entitledUsersPublish": ("string", ""),
    "entitledUsersView": ("string", ""), "templateEntryId": ("string", "io"), "mediaType": ("enum:KalturaMediaType", "io"),
    "createdAt": ("time", "ro"), "updatedAt": ("time", "ro"),
}
EVENT_FILTER_PROPS = {
    "orderBy": ("string", ""),
    "idEqual": ("int", ""), "idIn": ("string", ""), "idNotIn": ("string", ""),
    "parentIdEqual": ("int", ""), "parentIdIn": ("string", ""), "parentIdNotIn": ("string", ""),
    "statusEqual": ("enum:KalturaScheduleEventStatus", ""), "statusIn": ("string", ""),
    "startDateGreaterThanOrEqual": ("time", ""), "startDateLessThanOrEqual": ("time", ""),
    "endDateGreaterThanOrEqual": ("time", ""), "endDateLessThanOrEqual": ("time", ""),
    "referenceIdEqual": ("string", ""), "referenceIdIn": ("string", ""),
    "ownerIdEqual": ("string", ""), "ownerIdIn": ("string", ""),
    "priorityEqual": ("int", ""), "priorityIn": ("string", ""),
    "priorityGreaterThanOrEqual": ("int", ""), "priorityLessThanOrEqual": ("int", ""),
    "recurrenceTypeEqual": ("enum:KalturaScheduleEventRecurrenceType", ""), "recurrenceTypeIn": ("string", ""),
    "tagsLike": ("string", ""), "tagsMultiLikeOr": ("string", ""), "tagsMultiLikeAnd": ("string", ""),
    "createdAtGreaterThanOrEqual": ("time", ""), "createdAtLessThanOrEqual": ("time", ""),
    "updatedAtGreaterThanOrEqual": ("time", ""), "updatedAtLessThanOrEqual": ("time", ""),
    # KalturaScheduleEventFilter
    "resourceIdsLike": ("string", ""), "resourceIdsMultiLikeOr": ("string", ""), "resourceIdsMultiLikeAnd": ("string", ""),
    "parentResourceIdsLike": ("string", ""), "parentResourceIdsMultiLikeOr": ("string", ""),
    "parentResourceIdsMultiLikeAnd": ("string", ""),
    "templateEntryCategoriesIdsLike": ("string", ""), "templateEntryCategoriesIdsMultiLikeAnd": ("string", ""),
    "templateEntryCategoriesIdsMultiLikeOr": ("string", ""),
    "resourceSystemNamesLike": ("string", ""), "resourceSystemNamesMultiLikeOr": ("string", ""),
    "resourceSystemNamesMultiLikeAnd": ("string", ""),
    "resourceIdEqual": ("string", ""),
}
ENTRY_EVENT_FILTER_PROPS = {
    **EVENT_FILTER_PROPS,
    "templateEntryIdEqual": ("string", ""),
    "entryIdsLike": ("string", ""), "entryIdsMultiLikeOr": ("string", ""), "entryIdsMultiLikeAnd": ("string", ""),
    "categoryIdsLike": ("string", ""), "categoryIdsMultiLikeOr": ("string", ""), "categoryIdsMultiLikeAnd": ("string", ""),
}
RESOURCE_FILTER_PROPS = {
    "orderBy": ("string", ""), "idEqual": ("int", ""), "idIn": ("string", ""), "idNotIn": ("string", ""),
    "parentIdEqual": ("int", ""), "parentIdIn": ("string", ""), "nameEqual": ("string", ""),
    "systemNameEqual": ("string", ""), "systemNameIn": ("string", ""),
    "statusEqual": ("enum:KalturaScheduleResourceStatus", ""), "statusIn": ("string", ""),
    "tagsLike": ("string", ""), "tagsMultiLikeOr": ("string", ""), "tagsMultiLikeAnd": ("string", ""),
    "createdAtGreaterThanOrEqual": ("time", ""), "createdAtLessThanOrEqual": ("time", ""),
    "updatedAtGreaterThanOrEqual": ("time", ""), "updatedAtLessThanOrEqual": ("time", ""),
}
EVENT_RESOURCE_FILTER_PROPS = {
    "orderBy": ("string", ""), "eventIdEqual": ("int", ""), "eventIdIn": ("string", ""),
    "resourceIdEqual": ("int", ""), "resourceIdIn": ("string", ""), "eventIdOrItsParentIdEqual": ("int", ""),
    "createdAtGreaterThanOrEqual": ("time", ""), "createdAtLessThanOrEqual": ("time", ""),
    "updatedAtGreaterThanOrEqual": ("time", ""), "updatedAtLessThanOrEqual": ("time", ""),
}
PAGER_PROPS = {"pageSize": ("int", ""), "pageIndex": ("int", "")}

# class -> (parent class, abstract, properties)
CLASSES = {
    "KalturaScheduleEvent": (None, True, EVENT_PROPS),
    "KalturaEntryScheduleEvent": ("KalturaScheduleEvent", True, EVENT_PROPS),
    "KalturaRecordScheduleEvent": ("KalturaEntryScheduleEvent", False, EVENT_PROPS),
    "KalturaScheduleEventRecurrence": (None, False, RECURRENCE_PROPS),
    "KalturaScheduleResource": (None, True, RESOURCE_PROPS),
    "KalturaLocationScheduleResource": ("KalturaScheduleResource", False, RESOURCE_PROPS),
    "KalturaCameraScheduleResource": ("KalturaScheduleResource", False,
                                      {**RESOURCE_PROPS, "streamUrl": ("string", "", {"min_len": 1, "max_len": 256})}),
    "KalturaScheduleEventResource": (None, False, EVENT_RESOURCE_PROPS),
    "KalturaMediaEntry": (None, False, MEDIA_ENTRY_PROPS),
    "KalturaScheduleEventFilter": (None, False, EVENT_FILTER_PROPS),
    "KalturaEntryScheduleEventFilter": ("KalturaScheduleEventFilter", False, ENTRY_EVENT_FILTER_PROPS),
    "KalturaRecordScheduleEventFilter": ("KalturaEntryScheduleEventFilter", False, ENTRY_EVENT_FILTER_PROPS),
    "KalturaScheduleResourceFilter": (None, False, RESOURCE_FILTER_PROPS),
    "KalturaLocationScheduleResourceFilter": ("KalturaScheduleResourceFilter", False, RESOURCE_FILTER_PROPS),
    "KalturaCameraScheduleResourceFilter": ("KalturaScheduleResourceFilter", False, RESOURCE_FILTER_PROPS),
    "KalturaScheduleEventResourceFilter": (None, False, EVENT_RESOURCE_FILTER_PROPS),
    "KalturaFilterPager": (None, False, PAGER_PROPS),
}
RESOURCE_TYPES = {"KalturaLocationScheduleResource": 1, "KalturaCameraScheduleResource": 3}
RESOURCE_FILTER_TYPES = {"KalturaLocationScheduleResourceFilter": 1, "KalturaCameraScheduleResourceFilter": 3}


def is_subclass(name, base):
    while name is not None:
        if name == base:
            return True
        name = CLASSES[name][0] if name in CLASSES else None
    return False


def php_int(value):
    """PHP's (int) of a string: its leading integer, else 0."""
    match = re.match(r"\s*[+-]?\d+", str(value))
    return int(match.group()) if match else 0


def api_time(value, now):
    """A `time` value as Kaltura reads it: empty is 0, -1 stays, and within 10 years of 0 it is relative to now."""
    if value is None or str(value) == "":
        return 0
    number = php_int(value)
    if number != -1 and -MAX_RELATIVE_TIME <= number <= MAX_RELATIVE_TIME:
        return now + number
    return number


def cast(kind, name, value, limits, now):
    if kind == "int":
        value = php_int(value)
        if "min" in limits and value < limits["min"]:
            raise kerr("PROPERTY_VALIDATION_MIN_VALUE", name, limits["min"])
        if "max" in limits and value > limits["max"]:
            raise kerr("PROPERTY_VALIDATION_MAX_VALUE", name, limits["max"])
        return value
    if kind == "float":
        try:
            return float(value)
        except ValueError:
            return 0.0
    if kind == "time":
        return api_time(value, now)
    if kind.startswith("enum:"):
        text = {"true": "1", "false": "0"}.get(str(value).lower(), str(value))
        if not re.fullmatch(r"-?\d+", text) or int(text) not in ENUMS[kind[5:]]:
            raise kerr("INVALID_ENUM_VALUE", value, name, kind[5:])
        return int(text)
    if kind.startswith("senum:"):
        if value not in ENUMS[kind[6:]]:
            raise kerr("INVALID_ENUM_VALUE", value, name, kind[6:])
        return value
    value = str(value)
    if "min_len" in limits and len(value) < limits["min_len"]:
        raise kerr("PROPERTY_VALIDATION_MIN_LENGTH", name, limits["min_len"])
    if "max_len" in limits and len(value) > limits["max_len"]:
        raise kerr("PROPERTY_VALIDATION_MAX_LENGTH", name, limits["max_len"])
    return value


def read_object(params, prefix, declared, now):
    """The object a request gives as `prefix:field` parameters, as Kaltura builds it: its `objectType` if that is
    the declared class or one of its subclasses (else the declared class), refused when abstract; properties the
    class does not have are ignored, `field__null` asks for the property to be emptied.
    Answers (class, {property: value}, {properties to empty}), or None when no parameter names the object."""
    fields = {k[len(prefix) + 1:]: v for k, v in params.items() if k.startswith(prefix + ":")}
    if not fields:
        return None
    cls = declared
    wanted = fields.get("objectType")
    if wanted in CLASSES and is_subclass(wanted, declared):
        cls = wanted
    if CLASSES[cls][1]:
        raise kerr("OBJECT_TYPE_ABSTRACT", cls)
    props = CLASSES[cls][2]
    values, nulls = {}, set()
    for key, raw in fields.items():
        if ":" in key or key == "objectType":
            continue
        name = key[:-6] if key.endswith("__null") else key
        if name not in props:
            continue
        kind = props[name][0]
        if key.endswith("__null"):
            nulls.add(name)
        elif not kind.startswith("object:"):
            values[name] = cast(kind, name, raw, props[name][2] if len(props[name]) > 2 else {}, now)
    for name, spec in props.items():
        if spec[0].startswith("object:"):
            nested = read_object(fields, name, spec[0][7:], now)
            if nested is not None:
                values[name] = nested[1]
    return cls, values, nulls


def check_writable(cls, values, insert):
    for name in values:
        access = CLASSES[cls][2][name][1]
        if access == "ro" or (access == "io" and not insert):
            raise kerr("PROPERTY_VALIDATION_NOT_UPDATABLE", f"{cls}::{name}")


def required(params, name):
    value = params.get(name)
    if value is None:
        raise kerr("MISSING_MANDATORY_PARAMETER", name)
    return value


def id_list(text):
    return [php_int(x) for x in str(text).split(",") if x.strip()]


def text_list(text):
    return [x.strip() for x in str(text).split(",") if x.strip()]


def strip_nulls(value):
    """What KalturaJsonSerializer leaves of an object: no null properties."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def increment_version(version):
    """kDataCenterMgr::incrementVersion in data centre 0: a schedule event's sequence after a change."""
    return (-(-int(version or 0) // 10)) * 10 + 2


class State:
    def __init__(self, directory, ks_expiry, hash_type, app_token_session_type=SESSION_ADMIN, app_token_privileges=""):
        self.directory, self.ks_expiry, self.hash_type = directory, ks_expiry, hash_type
        self.app_token_session_type, self.app_token_privileges = app_token_session_type, app_token_privileges
        os.makedirs(os.path.join(directory, "tokens"), exist_ok=True)
        os.makedirs(os.path.join(directory, "entries"), exist_ok=True)
        self.lock = threading.Lock()
        self.sessions = {}  # ks -> {"type": "widget"|"user", "admin": bool, "expiry": t, "userId": ...}
        self.entries = {}
        self.tokens = {}
        self.category_entries = []
        self.categories = dict(CATEGORIES)
        self.resources = {}  # id -> schedule resource (its own properties, "type", "fullParentIds")
        self.events = {}  # id -> schedule event (its own properties; an instance's others come from its parent)
        self.links = []  # schedule event resources, with their "fullParentIds"
        self.next_resource_id, self.next_event_id, self.next_link_id = 301, 5001, 0
        self.fail = []  # (code, "service.action" or None) to answer next
        self.calls = []

    # --- sessions ---
    def new_ks(self, kind, user_id, expiry, admin=False, privileges=""):
        ks = "djJ8" + secrets.token_hex(24)
        self.sessions[ks] = {"type": kind, "admin": admin, "expiry": int(time.time()) + expiry, "userId": user_id,
                             "privileges": text_list(privileges)}
        return ks

    def require_ks(self, params, user=True, service="", action=""):
        ks = params.get("ks", "")
        if not ks:
            raise kerr("MISSING_KS")
        session = self.sessions.get(ks)
        if session is None:
            raise kerr("INVALID_KS", ks, -1, "INVALID_STR")
        if session["expiry"] < time.time():
            raise kerr("INVALID_KS", ks, -5, "EXPIRED")
        if user and session["type"] != "user":
            raise kerr("SERVICE_FORBIDDEN", f"{service}->{action}")
        if user and "setrole:CAPTURE_DEVICE_ROLE" in session["privileges"] and action not in CAPTURE_DEVICE_ACTIONS.get(service, ()):
            raise kerr("SERVICE_FORBIDDEN", f"{service}->{action}")
        return session

    # --- entries ---
    def entry(self, entry_id):
        entry = self.entries.get(entry_id)
        if entry is None or entry["status"] == ENTRY_DELETED:
            raise kerr("ENTRY_ID_NOT_FOUND", entry_id)
        return entry

    def entry_json(self, entry):
        """An entry as the API shows it: with the ids and names of its categories (from its category entries)."""
        ids = [c["categoryId"] for c in self.category_entries if c["entryId"] == entry["id"]]
        return {**entry, "categories": ",".join(self.categories[i] for i in ids if i in self.categories),
                "categoriesIds": ",".join(str(i) for i in ids)}

    def add_category_entry(self, entry_id, category):
        if category not in self.categories:
            raise kerr("CATEGORY_NOT_FOUND", category)
        if any(c["entryId"] == entry_id and c["categoryId"] == category for c in self.category_entries):
            raise kerr("CATEGORY_ENTRY_ALREADY_EXISTS")
        item = {"categoryId": category, "entryId": entry_id, "createdAt": int(time.time()), "status": 2,
                "objectType": "KalturaCategoryEntry"}
        self.category_entries.append(item)
        return item

    def token(self, token_id):
        token = self.tokens.get(token_id)
        if token is None or token["status"] == TOKEN_DELETED:
            raise APIError("UPLOAD_TOKEN_NOT_FOUND", "Upload token not found")
        return token

    def token_path(self, token_id):
        return os.path.join(self.directory, "tokens", token_id)

    # --- schedule ---
    def resource(self, resource_id):
        resource = self.resources.get(resource_id)
        if resource is None or resource["status"] == RESOURCE_DELETED:
            return None
        return resource

    def event(self, event_id):
        """A schedule event the API can see (not deleted), or None."""
        event = self.events.get(event_id)
        if event is None or event["status"] == EVENT_DELETED:
            return None
        return event

    def resource_json(self, resource):
        return {k: v for k, v in resource.items() if k not in ("type", "fullParentIds")}

    def link_json(self, link):
        return {k: v for k, v in link.items() if k not in ("id", "fullParentIds")}

    def event_json(self, event):
        """An event as the API shows it: an instance takes from its parent every property it has not got."""
        out = {}
        parent = self.events.get(event.get("parentId")) if event.get("parentId") else None
        for name in EVENT_PROPS:
            value = event.get(name)
            if value is None and parent is not None and name not in ("id", "parentId"):
                value = parent.get(name)
            out[name] = value
        out["blackoutConflicts"] = []
        out["objectType"] = "KalturaRecordScheduleEvent"
        return out

    def own_links(self, event_id):
        return [link for link in self.links if link["eventId"] == event_id]

    def effective_links(self, event):
        """The links the search index files an event under: its own, or else its parent's."""
        links = self.own_links(event["id"])
        if not links and event.get("parentId"):
            links = self.own_links(event["parentId"])
        return links

    def resource_tokens(self, event):
        tokens = []
        for link in self.effective_links(event):
            for token in [str(link["resourceId"])] + ["r" + str(p) for p in link["fullParentIds"]]:
                if token not in tokens:
                    tokens.append(token)
        return tokens

    def remove_event(self, event_id):
        """Kaltura deletes a series' instances from its database outright, with their links."""
        self.events.pop(event_id, None)
        self.links = [link for link in self.links if link["eventId"] != event_id]

    def instances(self, parent_id):
        return [e for e in self.events.values() if e.get("parentId") == parent_id and e["recurrenceType"] == RECURRENCE]

    def new_event_id(self):
        event_id = self.next_event_id
        self.next_event_id += 1
        return event_id


def boolean(value, default=False):
    if value is None or value == "":
        return default
    return value.lower() in ("1", "true")


# --- recurrences --------------------------------------------------------------------------------------------------
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def recurrence_dates(start, recurrence):
    """The start times of a series' instances, as Kaltura's DatesGenerator makes them for the frequencies `days` and
    `weeks`: periods of `interval` days or weeks from the first start, in each the days of `byDay` (weeks begin on
    `weekStartDay`, MO unless said) at the first start's time of day, in `timeZone` (UTC unless said), none before
    the first start nor after `until` or two years, at most `count` (and 1000)."""
    frequency = recurrence.get("frequency")
    if frequency not in ("days", "weeks"):
        raise kerr("NOT_IMPLEMENTED_BY_TEST_SERVER", f'recurrence frequency "{frequency}"')
    for name in ("bySecond", "byMinute", "byHour", "byMonthDay", "byYearDay", "byWeekNumber", "byMonth", "byOffset"):
        if recurrence.get(name):
            raise kerr("NOT_IMPLEMENTED_BY_TEST_SERVER", f"recurrence {name}")
    try:
        zone = zoneinfo.ZoneInfo(recurrence.get("timeZone") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise kerr("NOT_IMPLEMENTED_BY_TEST_SERVER", f'recurrence timeZone "{recurrence.get("timeZone")}"')
    days = []
    for day in text_list(recurrence.get("byDay") or ""):
        if day[-2:] not in DAYS:
            raise kerr("NOT_IMPLEMENTED_BY_TEST_SERVER", f'recurrence byDay "{day}"')
        days.append(DAYS.index(day[-2:]))
    week_start = DAYS.index(recurrence.get("weekStartDay") or "MO")
    interval = max(1, int(recurrence.get("interval") or 1))
    until = recurrence.get("until")
    limit = min(int(recurrence["count"]), MAX_RECURRENCES) if recurrence.get("count") else MAX_RECURRENCES
    seed = datetime.datetime.fromtimestamp(start, zone)
    period_end = seed.replace(year=seed.year + 2) if not (seed.month == 2 and seed.day == 29) else seed + datetime.timedelta(days=730)
    end = min(period_end.timestamp(), until) if until else period_end.timestamp()
    dates, step = [], 0
    while len(dates) < limit:
        # Wall-clock arithmetic, as PHP's strtotime("+N weeks") does across daylight saving changes.
        anchor = (seed.replace(tzinfo=None) + datetime.timedelta(days=step * interval * (7 if frequency == "weeks" else 1))).replace(tzinfo=zone)
        if frequency == "weeks" and days:
            week_begin = anchor.replace(tzinfo=None) - datetime.timedelta(days=(anchor.weekday() - week_start) % 7)
            candidates = sorted(((d - week_start) % 7 for d in set(days)))
            candidates = [(week_begin + datetime.timedelta(days=offset)).replace(tzinfo=zone) for offset in candidates]
        elif days:
            candidates = [anchor] if anchor.weekday() in days else []
        else:
            candidates = [anchor]
        for candidate in candidates:
            stamp = int(candidate.timestamp())
            if stamp >= start and stamp <= end and len(dates) < limit:
                dates.append(stamp)
        if anchor.timestamp() > end:  # the period's days were looked at first, as DatesGenerator does
            break
        step += 1
    return sorted(set(dates))


def recurrence_object(values):
    """A KalturaScheduleEventRecurrence as stored: interval 1 unless said (kScheduleEventRecurrence's default)."""
    merged = {"interval": 1, **values}
    return {**{name: merged.get(name) for name in RECURRENCE_PROPS}, "objectType": "KalturaScheduleEventRecurrence"}


def make_instances(s, parent, dates, now):
    """Creates a series' instances (recurrenceType 2, parentId) at `dates`, keeping those already there (same start
    and end), removing the others, and moves the series to its first one."""
    if dates:
        parent["startDate"], parent["endDate"] = dates[0], dates[0] + parent["duration"]
    existing = {(e["startDate"], e["endDate"]): e for e in s.instances(parent["id"])}
    ends = {d + parent["duration"] for d in dates}
    kept = [e for e in existing.values() if e["startDate"] in dates and e["endDate"] in ends]
    for e in existing.values():
        if e not in kept:
            s.remove_event(e["id"])
    kept_starts = {e["startDate"] for e in kept}
    for date in dates:
        if date not in kept_starts:
            event_id = s.new_event_id()
            s.events[event_id] = {"id": event_id, "partnerId": PARTNER_ID, "parentId": parent["id"], "status": EVENT_ACTIVE,
                                  "startDate": date, "endDate": date + parent["duration"], "originalStartDate": date,
                                  "recurrenceType": RECURRENCE, "duration": parent["duration"], "sequence": 1,
                                  "createdAt": now, "updatedAt": now}


# --- scheduleEvent ------------------------------------------------------------------------------------------------
def validate_dates(start, end):
    if start > end:
        raise kerr("INVALID_SCHEDULE_END_BEFORE_START", start, end)
    if end - start > MAX_EVENT_DURATION:
        raise kerr("MAX_SCHEDULE_DURATION_REACHED", MAX_EVENT_DURATION)


def check_time_in_use(s, template_entry_id, start, end, ignore):
    """An entry's single event may not overlap another event (not deleted) with the same template entry."""
    for other in s.events.values():
        if other["id"] in ignore or other["status"] == EVENT_DELETED or other.get("templateEntryId") != template_entry_id:
            continue
        o_start, o_end = other["startDate"], other["endDate"]
        if (o_start < start < o_end) or (o_start < end < o_end) or (o_start >= start and o_end <= end):
            raise kerr("SCHEDULE_TIME_IN_USE")


def check_recurrence(recurrence):
    if recurrence.get("until") is not None and recurrence.get("count") is not None:
        raise kerr("PROPERTY_VALIDATION_ALL_MUST_BE_NULL_BUT_ONE", "until / count")


def schedule_event_add(s, params, session, now):
    read = read_object(params, "scheduleEvent", "KalturaScheduleEvent", now)
    if read is None:
        raise kerr("MISSING_MANDATORY_PARAMETER", "scheduleEvent")
    cls, values, _ = read
    name = lambda prop: f"{cls}::{prop}"
    if values.get("recurrenceType") is None:
        raise kerr("PROPERTY_VALIDATION_CANNOT_BE_NULL", name("recurrenceType"))
    if values.get("summary") is None:
        raise kerr("PROPERTY_VALIDATION_CANNOT_BE_NULL", name("summary"))
    if values.get("startDate") is None:
        raise kerr("START_TIME_AND_LINKED_TO_NOT_SET")
    kind = values["recurrenceType"]
    if kind == RECURRING:
        if (values.get("duration") is None or values["duration"] < 1) and values.get("endDate") is not None:
            values["duration"] = values["endDate"] - values["startDate"]
        elif values.get("endDate") is None and (values.get("duration") or 0) > 0:
            values["endDate"] = values["startDate"] + values["duration"]
        if values.get("recurrence") is None:
            raise kerr("PROPERTY_VALIDATION_CANNOT_BE_NULL", name("recurrence"))
        until = values["recurrence"].get("until")
        if until and until < (values.get("endDate") or 0):
            raise kerr("PROPERTY_VALIDATION_UNTIL_NOT_VALID", "Recurrence::until")
        if values.get("duration") is None:
            raise kerr("PROPERTY_VALIDATION_CANNOT_BE_NULL", name("duration"))
    if values.get("endDate") is None:
        raise kerr("PROPERTY_VALIDATION_CANNOT_BE_NULL", name("endDate"))
    validate_dates(values["startDate"], values["endDate"])
    if values.get("templateEntryId") and kind == NONE:
        check_time_in_use(s, values["templateEntryId"], values["startDate"], values["endDate"], set())
    if values["endDate"] - values["startDate"] > MAX_SINGLE_EVENT_DURATION:
        raise kerr("MAX_SCHEDULE_DURATION_REACHED", MAX_SINGLE_EVENT_DURATION)
    check_writable(cls, values, insert=True)
    dates = None
    if values.get("recurrence") is not None:
        check_recurrence(values["recurrence"])
    if kind == RECURRING:
        dates = recurrence_dates(values["startDate"], values["recurrence"])
    return store_event(s, values, session["userId"], now, dates=dates)


def store_event(s, values, owner, now, dates=None, event_id=None):
    if event_id is None:
        event_id = s.new_event_id()
    event = {name: None for name in EVENT_PROPS if name != "blackoutConflicts"}
    event.update({k: v for k, v in values.items() if k in EVENT_PROPS})
    if event.get("recurrence") is not None:
        event["recurrence"] = recurrence_object(event["recurrence"])
    event.update({"id": event_id, "partnerId": PARTNER_ID, "status": values.get("status", EVENT_ACTIVE),
                  "ownerId": owner, "sequence": increment_version(1), "createdAt": now, "updatedAt": now,
                  "classificationType": event.get("classificationType") or 1, "originalStartDate": event["startDate"]})
    if event.get("parentId"):  # an instance (seeded): what it has not got comes from its parent
        event.update({"ownerId": None, "sequence": 1, "classificationType": values.get("classificationType")})
    if event["recurrenceType"] != RECURRING:
        event["duration"] = event["endDate"] - event["startDate"]
        event["recurrence"] = None if event["recurrenceType"] == NONE else event["recurrence"]
    s.events[event_id] = event
    if event["recurrenceType"] == RECURRING:
        make_instances(s, event, dates if dates is not None else recurrence_dates(event["startDate"], event["recurrence"]), now)
    return event


def schedule_event_update(s, params, now):
    event_id = php_int(required(params, "scheduleEventId"))
    event = s.event(event_id)
    if event is None:
        raise kerr("INVALID_OBJECT_ID", event_id)
    read = read_object(params, "scheduleEvent", "KalturaScheduleEvent", now)
    if read is None:
        raise kerr("MISSING_MANDATORY_PARAMETER", "scheduleEvent")
    cls, values, nulls = read
    if "endDate" in nulls:
        raise kerr("PROPERTY_VALIDATION_CANNOT_BE_NULL", f"{cls}::endDate")
    source_kind = event["recurrenceType"]
    start = values.get("startDate") or event["startDate"]
    end = values.get("endDate") or event["endDate"]
    target = values.get("recurrenceType")
    if target is not None:
        if (source_kind == RECURRENCE and target != RECURRENCE) or (source_kind == RECURRING and target == RECURRENCE) \
                or (source_kind == NONE and target == RECURRENCE):
            raise kerr("SCHEDULE_EVENT_TYPE_CANT_BE_UPDATED", source_kind, target)
    if source_kind == NONE and target != RECURRING and values.get("recurrence") is not None:
        message = "Can't update single schedule event with recurring data when recurrenceType is not \"RECURRING\"."
        raise APIError(message, None)
    if target is None:
        target = source_kind
    template = values.get("templateEntryId") or s.event_json(event).get("templateEntryId")
    validate_dates(start, end)
    if template and target == NONE:
        check_time_in_use(s, template, start, end, {event_id})
    sequence = event.get("sequence")
    if values.get("sequence") is None or values["sequence"] <= (sequence or 0):
        sequence = increment_version(sequence)
    duration = values.get("duration")
    if duration is not None:
        if values.get("endDate") is not None and start + duration != values["endDate"]:
            raise kerr("MAX_SCHEDULE_DURATION_MUST_MATCH_END_TIME")
        if target != RECURRING:
            values["endDate"], values["startDate"], end = start + duration, start, start + duration
            del values["duration"]
        elif duration > MAX_SINGLE_EVENT_DURATION:
            raise kerr("MAX_SCHEDULE_DURATION_REACHED", MAX_SINGLE_EVENT_DURATION)
        if target == NONE and end - start > MAX_SINGLE_EVENT_DURATION:
            raise kerr("MAX_SCHEDULE_DURATION_REACHED", MAX_SINGLE_EVENT_DURATION)
    elif end - start > MAX_SINGLE_EVENT_DURATION:
        raise kerr("MAX_SCHEDULE_DURATION_REACHED", MAX_SINGLE_EVENT_DURATION)
    if target == NONE and source_kind == RECURRING:
        values.pop("duration", None)
    check_writable(cls, values, insert=False)
    if values.get("recurrence") is not None:
        check_recurrence(values["recurrence"])
        values["recurrence"] = recurrence_object(values["recurrence"])
    time_changed = any(values.get(k) for k in ("startDate", "endDate", "recurrence", "recurrenceType", "duration"))
    dates = None
    if target == RECURRING and time_changed:
        recurrence = values.get("recurrence") or event.get("recurrence")
        if recurrence is None:
            raise kerr("PROPERTY_VALIDATION_CANNOT_BE_NULL", f"{cls}::recurrence")
        dates = recurrence_dates(values.get("startDate") or event["startDate"], recurrence)
    event["sequence"] = sequence
    for key, value in values.items():
        event[key] = value
    for key in nulls:
        if key in event and CLASSES[cls][2][key][1] == "":
            event[key] = None
    event["updatedAt"] = now
    if target == NONE and source_kind == RECURRING:
        for instance in s.instances(event_id):
            s.remove_event(instance["id"])
        event["recurrence"], event["sequence"] = None, 1
    if target == RECURRING:
        if event.get("duration") is None:
            event["duration"] = event["endDate"] - event["startDate"]
        if dates is not None:
            make_instances(s, event, dates, now)
    else:
        event["duration"] = event["endDate"] - event["startDate"]
    return event


def event_filter_matches(s, event, view, kind, f):
    """Whether the search index finds `event` for the filter `f` (of class `kind`)."""
    def get(name):
        return f.get(name) not in (None, "")

    if event["status"] == EVENT_DELETED:
        return False
    if get("idEqual") and event["id"] != f["idEqual"]:
        return False
    if get("idIn") and event["id"] not in id_list(f["idIn"]):
        return False
    if get("idNotIn") and event["id"] in id_list(f["idNotIn"]):
        return False
    parent = event.get("parentId") or 0
    if get("parentIdEqual") and parent != f["parentIdEqual"]:
        return False
    if get("parentIdIn") and parent not in id_list(f["parentIdIn"]):
        return False
    if get("parentIdNotIn") and parent in id_list(f["parentIdNotIn"]):
        return False
    if get("statusEqual") and event["status"] != f["statusEqual"]:
        return False
    if get("statusIn") and event["status"] not in id_list(f["statusIn"]):
        return False
    for prop, field in (("startDate", "startDate"), ("endDate", "endDate"), ("createdAt", "createdAt"), ("updatedAt", "updatedAt")):
        if get(prop + "GreaterThanOrEqual") and not event[field] >= f[prop + "GreaterThanOrEqual"]:
            return False
        if get(prop + "LessThanOrEqual") and not event[field] <= f[prop + "LessThanOrEqual"]:
            return False
    if get("referenceIdEqual") and view.get("referenceId") != f["referenceIdEqual"]:
        return False
    if get("referenceIdIn") and view.get("referenceId") not in text_list(f["referenceIdIn"]):
        return False
    if get("ownerIdEqual") and view.get("ownerId") != f["ownerIdEqual"]:
        return False
    if get("ownerIdIn") and view.get("ownerId") not in text_list(f["ownerIdIn"]):
        return False
    priority = view.get("priority") or 0
    if get("priorityEqual") and priority != f["priorityEqual"]:
        return False
    if get("priorityIn") and priority not in id_list(f["priorityIn"]):
        return False
    if get("priorityGreaterThanOrEqual") and priority < f["priorityGreaterThanOrEqual"]:
        return False
    if get("priorityLessThanOrEqual") and priority > f["priorityLessThanOrEqual"]:
        return False
    if get("recurrenceTypeEqual") and event["recurrenceType"] != f["recurrenceTypeEqual"]:
        return False
    if get("recurrenceTypeIn") and event["recurrenceType"] not in id_list(f["recurrenceTypeIn"]):
        return False
    if not words_match(view.get("tags"), f, "tags"):
        return False
    tokens = s.resource_tokens(event)
    if get("resourceIdEqual") and tokens != [str(f["resourceIdEqual"]).strip()]:
        return False
    if not tokens_match(tokens, f, "resourceIds", ""):
        return False
    if not tokens_match(tokens, f, "parentResourceIds", "r"):
        return False
    names = [s.resources[link["resourceId"]].get("systemName") for link in s.effective_links(event) if link["resourceId"] in s.resources]
    if not tokens_match([n for n in names if n], f, "resourceSystemNames", ""):
        return False
    own_template = event.get("templateEntryId")  # the index holds an event's own template entry, none for an instance
    template_categories = [str(c["categoryId"]) for c in s.category_entries if own_template and c["entryId"] == own_template]
    if not tokens_match(template_categories, f, "templateEntryCategoriesIds", ""):
        return False
    if kind != "KalturaScheduleEventFilter":
        if get("templateEntryIdEqual") and own_template != f["templateEntryIdEqual"]:
            return False
        if not tokens_match(text_list(event.get("entryIds") or ""), f, "entryIds", ""):
            return False
        if not tokens_match(text_list(event.get("categoryIds") or ""), f, "categoryIds", ""):
            return False
    return True


def tokens_match(tokens, f, prefix, token_prefix):
    """Kaltura's like / multi-like-or / multi-like-and on an indexed list of words."""
    if f.get(prefix + "Like"):
        if token_prefix + f[prefix + "Like"].strip() not in tokens:
            return False
    if f.get(prefix + "MultiLikeOr"):
        if not any(token_prefix + v in tokens for v in text_list(f[prefix + "MultiLikeOr"])):
            return False
    if f.get(prefix + "MultiLikeAnd"):
        if not all(token_prefix + v in tokens for v in text_list(f[prefix + "MultiLikeAnd"])):
            return False
    return True


def words_match(text, f, prefix):
    words = re.findall(r"\w+", (text or "").lower())

    def has(phrase):
        wanted = re.findall(r"\w+", phrase.lower())
        return bool(wanted) and any(words[i:i + len(wanted)] == wanted for i in range(len(words)))

    if f.get(prefix + "Like") and not has(f[prefix + "Like"]):
        return False
    if f.get(prefix + "MultiLikeOr") and not any(has(v) for v in text_list(f[prefix + "MultiLikeOr"])):
        return False
    if f.get(prefix + "MultiLikeAnd") and not all(has(v) for v in text_list(f[prefix + "MultiLikeAnd"])):
        return False
    return True


def order_and_page(items, order_by, allowed, params, now):
    """Kaltura's orderBy (comma-separated, unknown ones ignored; ties and no order by id) and KalturaFilterPager
    (pageSize 30 by default, at most 500; pageIndex from 1)."""
    items = sorted(items, key=lambda item: item[1].get("id") or 0)
    for part in reversed(text_list(order_by or "")):
        if part[:1] in "+-" and part[1:] in allowed:
            field = part[1:]
            items = sorted(items, key=lambda item: (item[1].get(field) is not None, item[1].get(field) or 0)
                           if field != "summary" else (item[1].get("summary") or ""), reverse=part[0] == "-")
    pager = read_object(params, "pager", "KalturaFilterPager", now)
    values = pager[1] if pager else {}
    size = max(min(values.get("pageSize", 30), MAX_PAGE_SIZE), 0)
    index = max(values.get("pageIndex", 1), 1)
    return items[(index - 1) * size:index * size]


def schedule_event_list(s, params, now):
    read = read_object(params, "filter", "KalturaScheduleEventFilter", now)
    kind, f = (read[0], read[1]) if read else ("KalturaScheduleEventFilter", {})
    found = []
    for event in s.events.values():
        view = s.event_json(event)
        if event_filter_matches(s, event, view, kind, f):
            found.append((event, view))
    page = order_and_page(found, f.get("orderBy"), {"summary", "startDate", "endDate", "priority", "createdAt", "updatedAt"},
                          params, now)
    return {"objects": [view for _, view in page], "totalCount": len(found), "objectType": "KalturaScheduleEventListResponse"}


def schedule_event_call(s, action, params, session, now):
    if action == "add":
        return s.event_json(schedule_event_add(s, params, session, now))
    if action == "list":
        return schedule_event_list(s, params, now)
    if action == "update":
        return s.event_json(schedule_event_update(s, params, now))
    if action in ("get", "cancel", "delete"):
        event_id = php_int(required(params, "scheduleEventId"))
        event = s.event(event_id)
        if event is None:
            raise kerr("INVALID_OBJECT_ID", event_id)
        if action == "get":
            return s.event_json(event)
        if action == "delete" and event["recurrenceType"] == RECURRENCE:
            raise kerr("RECURRENCE_CANT_BE_DELETE", event_id, event["parentId"])
        event["status"] = EVENT_CANCELLED if action == "cancel" else EVENT_DELETED
        event["updatedAt"] = now
        # A cancelled or deleted event loses its resource links; a series loses its instances.
        s.links = [link for link in s.links if link["eventId"] != event_id]
        if event["recurrenceType"] == RECURRING:
            for instance in s.instances(event_id):
                s.remove_event(instance["id"])
        return s.event_json(event)
    return None


# --- scheduleResource ---------------------------------------------------------------------------------------------
def schedule_resource_call(s, action, params, now):
    if action in ("add", "update"):
        resource = None
        if action == "update":
            resource_id = php_int(required(params, "scheduleResourceId"))
            resource = s.resource(resource_id)
            if resource is None:
                raise kerr("INVALID_OBJECT_ID", resource_id)
        read = read_object(params, "scheduleResource", "KalturaScheduleResource", now)
        if read is None:
            raise kerr("MISSING_MANDATORY_PARAMETER", "scheduleResource")
        cls, values, _ = read
        if action == "add" and values.get("name") is None:
            raise kerr("PROPERTY_VALIDATION_CANNOT_BE_NULL", f"{cls}::name")
        kind = RESOURCE_TYPES[cls]
        if values.get("systemName") is not None:
            for other in s.resources.values():
                if other["type"] == kind and other["systemName"] == values["systemName"] and other["status"] != RESOURCE_DELETED \
                        and (resource is None or other["id"] != resource["id"]):
                    raise kerr("SYSTEM_NAME_ALREADY_EXISTS", values["systemName"])
        parent_id = values.get("parentId")
        if parent_id and (resource is None or parent_id != resource["id"]) and s.resource(parent_id) is None:
            raise kerr("RESOURCE_PARENT_ID_NOT_FOUND", parent_id)
        check_writable(cls, values, insert=action == "add")
        if resource is None:
            resource = store_resource(s, cls, values, now)
        else:
            resource.update(values)
            if parent_id:
                resource["fullParentIds"] = s.resources[parent_id]["fullParentIds"] + [parent_id]
            resource["updatedAt"] = now
        return s.resource_json(resource)
    if action in ("get", "delete"):
        resource_id = php_int(required(params, "scheduleResourceId"))
        resource = s.resource(resource_id)
        if resource is None:
            raise kerr("INVALID_OBJECT_ID", resource_id)
        if action == "delete":
            resource["status"], resource["updatedAt"] = RESOURCE_DELETED, now
        return s.resource_json(resource)
    if action == "list":
        read = read_object(params, "filter", "KalturaScheduleResourceFilter", now)
        kind, f = (read[0], read[1]) if read else ("KalturaScheduleResourceFilter", {})
        statuses = [f["statusEqual"]] if f.get("statusEqual") is not None else id_list(f["statusIn"]) if f.get("statusIn") \
            else [RESOURCE_DISABLED, RESOURCE_ACTIVE]
        found = []
        for r in s.resources.values():
            if kind in RESOURCE_FILTER_TYPES and r["type"] != RESOURCE_FILTER_TYPES[kind]:
                continue
            if r["status"] not in statuses or (f.get("idEqual") and r["id"] != f["idEqual"]) \
                    or (f.get("idIn") and r["id"] not in id_list(f["idIn"])) or (f.get("idNotIn") and r["id"] in id_list(f["idNotIn"])) \
                    or (f.get("parentIdEqual") is not None and (r.get("parentId") or 0) != f["parentIdEqual"]) \
                    or (f.get("parentIdIn") and (r.get("parentId") or 0) not in id_list(f["parentIdIn"])) \
                    or (f.get("nameEqual") and r["name"] != f["nameEqual"]) \
                    or (f.get("systemNameEqual") and r.get("systemName") != f["systemNameEqual"]) \
                    or (f.get("systemNameIn") and r.get("systemName") not in text_list(f["systemNameIn"])) \
                    or not words_match(r.get("tags"), f, "tags"):
                continue
            found.append((r, r))
        page = order_and_page(found, f.get("orderBy"), {"createdAt", "updatedAt"}, params, now)
        return {"objects": [s.resource_json(r) for r, _ in page], "totalCount": len(found),
                "objectType": "KalturaScheduleResourceListResponse"}
    return None


def store_resource(s, cls, values, now):
    resource_id = values.get("id") or s.next_resource_id
    s.next_resource_id = max(s.next_resource_id, resource_id + 1)
    parent_id = values.get("parentId")
    resource = {"id": resource_id, "parentId": parent_id, "partnerId": PARTNER_ID, "name": values.get("name"),
                "systemName": values.get("systemName"), "description": values.get("description"),
                "status": values.get("status", RESOURCE_ACTIVE), "tags": values.get("tags"), "createdAt": now, "updatedAt": now}
    if cls == "KalturaCameraScheduleResource":
        resource["streamUrl"] = values.get("streamUrl")
    resource["objectType"] = cls
    resource["type"] = RESOURCE_TYPES[cls]
    resource["fullParentIds"] = (s.resources[parent_id]["fullParentIds"] + [parent_id]) if parent_id in s.resources else []
    s.resources[resource_id] = resource
    return resource


# --- scheduleEventResource ----------------------------------------------------------------------------------------
def store_link(s, event_id, resource_id, now):
    resource = s.resources.get(resource_id)
    s.next_link_id += 1
    link = {"id": s.next_link_id, "eventId": event_id, "resourceId": resource_id,
            "partnerId": PARTNER_ID, "createdAt": now, "updatedAt": now, "objectType": "KalturaScheduleEventResource",
            # Kaltura keeps the resource's parents with the link, as they were when it was made.
            "fullParentIds": list(resource["fullParentIds"]) if resource else []}
    s.links.append(link)
    return link


def schedule_event_resource_call(s, action, params, now):
    if action == "add":
        read = read_object(params, "scheduleEventResource", "KalturaScheduleEventResource", now)
        if read is None:
            raise kerr("MISSING_MANDATORY_PARAMETER", "scheduleEventResource")
        cls, values, _ = read
        for prop in ("eventId", "resourceId"):
            if values.get(prop) is None:
                raise kerr("PROPERTY_VALIDATION_CANNOT_BE_NULL", f"{cls}::{prop}")
        event_id, resource_id = values["eventId"], values["resourceId"]
        if any(l["eventId"] == event_id and l["resourceId"] == resource_id for l in s.links):
            raise kerr("SCHEDULE_EVENT_RESOURCE_ALREADY_EXISTS", event_id, resource_id)
        if s.event(event_id) is None:
            raise kerr("SCHEDULE_EVENT_ID_NOT_FOUND", event_id)
        if s.resource(resource_id) is None and resource_id != 0:
            raise kerr("SCHEDULE_RESOURCE_ID_NOT_FOUND", resource_id)
        check_writable(cls, values, insert=True)
        link = store_link(s, event_id, resource_id, now)
        s.events[event_id]["updatedAt"] = now
        return s.link_json(link)
    if action in ("get", "delete"):
        event_id = php_int(required(params, "scheduleEventId"))
        resource_id = php_int(required(params, "scheduleResourceId"))
        link = next((l for l in s.links if l["eventId"] == event_id and l["resourceId"] == resource_id), None)
        if link is None:
            raise kerr("INVALID_OBJECT_ID", f"{event_id},{resource_id}")
        if action == "get":
            return s.link_json(link)
        s.links.remove(link)
        return None
    if action == "list":
        read = read_object(params, "filter", "KalturaScheduleEventResourceFilter", now)
        f = read[1] if read else {}
        candidates = s.links
        if f.get("eventIdOrItsParentIdEqual"):
            wanted = f["eventIdOrItsParentIdEqual"]
            candidates = s.own_links(wanted)
            if not candidates and s.event(wanted) is not None:
                candidates = s.own_links(s.events[wanted].get("parentId") or wanted)
        found = []
        for l in candidates:
            if (f.get("eventIdEqual") and l["eventId"] != f["eventIdEqual"]) \
                    or (f.get("eventIdIn") and l["eventId"] not in id_list(f["eventIdIn"])) \
                    or (f.get("resourceIdEqual") and l["resourceId"] != f["resourceIdEqual"]) \
                    or (f.get("resourceIdIn") and l["resourceId"] not in id_list(f["resourceIdIn"])) \
                    or (f.get("createdAtGreaterThanOrEqual") and l["createdAt"] < f["createdAtGreaterThanOrEqual"]) \
                    or (f.get("createdAtLessThanOrEqual") and l["createdAt"] > f["createdAtLessThanOrEqual"]):
                continue
            found.append((l, l))
        page = order_and_page(found, f.get("orderBy"), {"createdAt", "updatedAt"}, params, now)
        return {"objects": [s.link_json(l) for l, _ in page], "totalCount": len(found),
                "objectType": "KalturaScheduleEventResourceListResponse"}
    return None


# --- entries ------------------------------------------------------------------------------------------------------
def check_owner_change(session, user_id, current):
    """A session that is not ADMIN may not make an entry another user's (Kaltura answers INVALID_KS, INVALID_TYPE)."""
    if not session["admin"] and user_id is not None and user_id.lower() != (current or "").lower():
        raise kerr("INVALID_KS", "", -4, "INVALID_TYPE")


def media_add(s, params, session, now):
    if params.get("entry:objectType") != "KalturaMediaEntry":
        raise kerr("PROPERTY_VALIDATION_CANNOT_BE_NULL", "KalturaMediaEntry::objectType")
    if params.get("entry:mediaType") not in ("1",):
        raise kerr("PROPERTY_VALIDATION_CANNOT_BE_NULL", "KalturaMediaEntry::mediaType")
    _, values, _ = read_object(params, "entry", "KalturaMediaEntry", now)
    check_owner_change(session, values.get("userId"), session["userId"])
    template = s.entries.get(values.get("templateEntryId") or "")
    if template is not None and template["status"] == ENTRY_DELETED:
        template = None  # Kaltura goes on without a template it cannot find
    entry_id = "0_" + secrets.token_hex(4)
    entry = {"id": entry_id, "name": "", "description": "", "referenceId": None, "userId": session["userId"],
             "creatorId": session["userId"], "tags": "", "entitledUsersEdit": None, "entitledUsersPublish": None,
             "entitledUsersView": None, "templateEntryId": None, "mediaType": 1, "status": ENTRY_NO_CONTENT,
             "partnerId": PARTNER_ID, "createdAt": now, "updatedAt": now, "objectType": "KalturaMediaEntry"}
    if template is not None:
        # entry::copyTemplate: not the owner (the session's user, unless entry:userId says another).
        for key in ("name", "description", "tags", "entitledUsersEdit", "entitledUsersPublish", "entitledUsersView"):
            entry[key] = template.get(key)
        entry["templateEntryId"] = template["id"]
    for key in ("name", "description", "referenceId", "tags", "entitledUsersEdit", "entitledUsersPublish", "entitledUsersView"):
        if key in values:
            entry[key] = values[key]
    if values.get("userId") is not None:
        entry["userId"] = entry["creatorId"] = values["userId"].strip()
    s.entries[entry_id] = entry
    if template is not None:  # the template's categories, copied as category entries
        for c in [c for c in s.category_entries if c["entryId"] == template["id"]]:
            s.add_category_entry(entry_id, c["categoryId"])
    return entry


def media_update(s, params, session, now):
    entry = s.entry(required(params, "entryId"))
    read = read_object(params, "mediaEntry", "KalturaMediaEntry", now)
    if read is None:
        raise kerr("MISSING_MANDATORY_PARAMETER", "mediaEntry")
    cls, values, nulls = read
    check_writable(cls, values, insert=False)
    if values.get("userId") is not None and not ({"edituser:*", "edituser:" + values["userId"]} & set(session["privileges"])):
        check_owner_change(session, values["userId"], entry["userId"])
    if not session["admin"] and session["userId"].lower() != entry["userId"].lower():
        # Only the owner (or an ADMIN session) may change who may edit or publish.
        for key in ("entitledUsersEdit", "entitledUsersPublish"):
            if key in values and (values[key] or "").lower() != (entry.get(key) or "").lower():
                raise kerr("INVALID_KS", "", -4, "INVALID_TYPE")
    for key in ("name", "description", "referenceId", "tags", "userId", "entitledUsersEdit", "entitledUsersPublish", "entitledUsersView"):
        if key in values:
            entry[key] = values[key].strip() if key == "userId" else values[key]
        elif key in nulls and key != "userId":
            entry[key] = None
    entry["updatedAt"] = now
    return entry


def call(state, service, action, params, files):
    s = state
    now = int(time.time())
    if service == "session" and action == "startwidgetsession":
        if params.get("widgetId") != f"_{PARTNER_ID}":
            raise kerr("INVALID_WIDGET_ID", params.get("widgetId"))
        ks = s.new_ks("widget", 0, int(params.get("expiry", 86400)))
        return {"partnerId": PARTNER_ID, "ks": ks, "userId": 0, "objectType": "KalturaStartWidgetSessionResponse"}

    if service == "apptoken" and action == "startsession":
        s.require_ks(params, user=False)
        if params.get("id") != APP_TOKEN_ID:
            raise kerr("APP_TOKEN_ID_NOT_FOUND", params.get("id"))
        expected = hashlib.new(s.hash_type.lower(), (params["ks"] + APP_TOKEN).encode()).hexdigest()
        if params.get("tokenHash") != expected:
            raise kerr("INVALID_APP_TOKEN_HASH")
        expiry = min(int(params.get("expiry") or s.ks_expiry), s.ks_expiry)
        user_id = params.get("userId") or "roomrec-agent"
        session_type = s.app_token_session_type  # the token's session type wins over the one asked for
        privileges = ",".join([f"sessionid:{APP_TOKEN_ID}", f"apptoken:{APP_TOKEN_ID}"] + text_list(s.app_token_privileges))
        ks = s.new_ks("user", user_id, expiry, admin=session_type == SESSION_ADMIN, privileges=privileges)
        return {"ks": ks, "sessionType": session_type, "partnerId": PARTNER_ID, "userId": user_id,
                "expiry": s.sessions[ks]["expiry"], "privileges": privileges, "objectType": "KalturaSessionInfo"}

    if service in SERVICES and action in SERVICES[service]:
        session = s.require_ks(params, service=service, action=action)
    elif service in SERVICES:
        raise kerr("ACTION_DOES_NOT_EXISTS", action, service)
    else:
        raise kerr("SERVICE_DOES_NOT_EXISTS", service)

    if service == "media":
        if action == "add":
            return s.entry_json(media_add(s, params, session, now))
        if action == "get":
            return s.entry_json(s.entry(params.get("entryId", "")))
        if action == "update":
            return s.entry_json(media_update(s, params, session, now))
        if action == "list":
            reference = params.get("filter:referenceIdEqual")
            status_in = params.get("filter:statusIn")
            allowed = [int(x) for x in status_in.split(",")] if status_in else [ENTRY_READY]
            found = [s.entry_json(e) for e in s.entries.values()
                     if e["status"] in allowed and (reference is None or e["referenceId"] == reference)]
            return {"objects": found, "totalCount": len(found), "objectType": "KalturaMediaListResponse"}
        if action == "delete":
            entry = s.entry(params.get("entryId", ""))
            entry["status"] = ENTRY_DELETED
            return None
        if action == "addcontent":
            entry = s.entry(params.get("entryId", ""))
            if params.get("resource:objectType") != "KalturaUploadedFileTokenResource":
                raise APIError("RESOURCE_TYPE_NOT_SUPPORTED", f'Resource type "{params.get("resource:objectType")}" not supported',
                               RES_TYPE=params.get("resource:objectType"))
            if entry["status"] != ENTRY_NO_CONTENT:
                raise APIError("ENTRY_ALREADY_WITH_CONTENT", "Entry already associated with content")
            token = s.token(params.get("resource:token", ""))
            if token["status"] != TOKEN_FULL:
                raise APIError("UPLOAD_TOKEN_NOT_FOUND", "Upload token not found")  # Kaltura answers this for an unfinished token
            os.replace(s.token_path(token["id"]), os.path.join(s.directory, "entries", entry["id"]))
            token["status"] = TOKEN_CLOSED
            entry["status"] = ENTRY_READY
            entry["updatedAt"] = int(time.time())
            return s.entry_json(entry)

    if service == "baseentry" and action == "get":
        return s.entry_json(s.entry(required(params, "entryId")))

    if service == "uploadtoken":
        if action == "add":
            token_id = "0_" + secrets.token_hex(16)
            size = params.get("uploadToken:fileSize")
            token = {"id": token_id, "partnerId": PARTNER_ID, "status": TOKEN_PENDING, "fileName": params.get("uploadToken:fileName"),
                     "fileSize": float(size) if size else None, "uploadedFileSize": 0.0, "createdAt": now, "updatedAt": now,
                     "objectType": "KalturaUploadToken"}
            open(s.token_path(token_id), "wb").close()
            s.tokens[token_id] = token
            return token
        if action == "get":
            return s.token(params.get("uploadTokenId", ""))
        if action == "delete":
            token = s.token(params.get("uploadTokenId", ""))
            token["status"] = TOKEN_DELETED
            if os.path.exists(s.token_path(token["id"])):
                os.remove(s.token_path(token["id"]))
            return None
        if action == "upload":
            token = s.token(params.get("uploadTokenId", ""))
            if token["status"] not in (TOKEN_PENDING, TOKEN_PARTIAL):
                raise APIError("UPLOAD_TOKEN_INVALID_STATUS_FOR_UPLOAD", "Upload token is in an invalid status for upload")
            data = files.get("fileData")
            if data is None:
                raise kerr("MISSING_MANDATORY_PARAMETER", "fileData")
            path = s.token_path(token["id"])
            current = os.path.getsize(path)
            resume = boolean(params.get("resume"))
            resume_at = float(params.get("resumeAt", "-1") or "-1")
            if not resume:
                offset = 0
            else:
                offset = current if resume_at < 0 else int(resume_at)
                if offset > current:
                    raise APIError("UPLOAD_TOKEN_RESUMING_INVALID_POSITION", "Resuming point is invalid")
            with open(path, "r+b") as f:
                f.seek(offset)
                f.write(data)
                f.truncate()
                f.flush()
                os.fsync(f.fileno())
            uploaded = os.path.getsize(path)
            token["uploadedFileSize"] = float(uploaded)
            token["updatedAt"] = int(time.time())
            final = boolean(params.get("finalChunk"), default=True)
            if final and token["fileSize"] is not None and uploaded != int(token["fileSize"]):
                raise APIError("UPLOAD_TOKEN_FILE_SIZE_MISMATCH", "The uploaded file size does not match the file size of the upload token")
            token["status"] = TOKEN_FULL if final else TOKEN_PARTIAL
            return token

    if service == "categoryentry":
        if action == "add":
            entry_id = params.get("categoryEntry:entryId", "")
            s.entry(entry_id)
            return s.add_category_entry(entry_id, int(params.get("categoryEntry:categoryId") or 0))
        if action == "list":
            entry_id = params.get("filter:entryIdEqual")
            found = [c for c in s.category_entries if entry_id is None or c["entryId"] == entry_id]
            return {"objects": found, "totalCount": len(found), "objectType": "KalturaCategoryEntryListResponse"}

    if service == "schedule_scheduleevent":
        return schedule_event_call(s, action, params, session, now)
    if service == "schedule_scheduleresource":
        return schedule_resource_call(s, action, params, now)
    if service == "schedule_scheduleeventresource":
        return schedule_event_resource_call(s, action, params, now)
    raise kerr("ACTION_DOES_NOT_EXISTS", action, service)


# The services that need a session from the app token, with their actions (lower case, as Kaltura matches them).
SERVICES = {
    "media": {"add", "get", "update", "list", "delete", "addcontent"},
    "baseentry": {"get"},
    "uploadtoken": {"add", "get", "delete", "upload"},
    "categoryentry": {"add", "list"},
    "schedule_scheduleevent": {"add", "get", "update", "cancel", "delete", "list"},
    "schedule_scheduleresource": {"add", "get", "update", "delete", "list"},
    "schedule_scheduleeventresource": {"add", "get", "delete", "list"},
}


# What a session whose role is CAPTURE_DEVICE_ROLE may call (Kaltura's deployment/permissions/*.ini: the actions
# that list CAPTURE_DEVICE_PERMISSION), among those this server has.
CAPTURE_DEVICE_ACTIONS = {
    "media": {"add", "addcontent", "update"},
    "baseentry": {"get"},
    "uploadtoken": {"add", "get", "upload"},
    "schedule_scheduleevent": {"add", "update", "list"},
    "schedule_scheduleresource": {"add", "update", "get", "list"},
}


# --- test hooks ---------------------------------------------------------------------------------------------------
def seed(s, body):
    """Stores what a test gives, without the API's checks; answers what it stored."""
    now = int(time.time())
    out = {"categories": {}, "entries": [], "resources": [], "events": [], "links": []}
    for category_id, name in (body.get("categories") or {}).items():
        s.categories[int(category_id)] = name
        out["categories"][str(category_id)] = name
    for item in body.get("entries") or []:
        entry_id = item.get("id") or "0_" + secrets.token_hex(4)
        entry = {"id": entry_id, "name": item.get("name", ""), "description": item.get("description", ""),
                 "referenceId": item.get("referenceId"), "userId": item.get("userId", "roomrec-agent"),
                 "creatorId": item.get("userId", "roomrec-agent"), "tags": item.get("tags", ""),
                 "entitledUsersEdit": item.get("entitledUsersEdit"), "entitledUsersPublish": item.get("entitledUsersPublish"),
                 "entitledUsersView": item.get("entitledUsersView"), "templateEntryId": None,
                 "mediaType": item.get("mediaType", 1), "status": item.get("status", ENTRY_NO_CONTENT), "partnerId": PARTNER_ID,
                 "createdAt": now, "updatedAt": now, "objectType": "KalturaMediaEntry"}
        s.entries[entry_id] = entry
        categories = item.get("categoriesIds") or []
        for category in (text_list(categories) if isinstance(categories, str) else categories):
            s.add_category_entry(entry_id, int(category))
        out["entries"].append(s.entry_json(entry))
    for item in body.get("resources") or []:
        cls = item.get("objectType", "KalturaLocationScheduleResource")
        resource = store_resource(s, cls, item, now)
        out["resources"].append(s.resource_json(resource))
    for item in body.get("events") or []:
        values = dict(item)
        for key in ("startDate", "endDate"):
            if key in values:
                values[key] = api_time(values[key], now)
        values.setdefault("recurrenceType", RECURRING if values.get("recurrence") else NONE)
        if values.get("recurrence"):
            values["recurrence"] = dict(values["recurrence"])
            if values["recurrence"].get("until") is not None:
                values["recurrence"]["until"] = api_time(values["recurrence"]["until"], now)
        if values["recurrenceType"] == RECURRING and values.get("duration") is None:
            values["duration"] = values["endDate"] - values["startDate"]
        event_id = int(item["id"]) if item.get("id") else None
        if event_id is not None:
            s.next_event_id = max(s.next_event_id, event_id + 1)
        event = store_event(s, {k: v for k, v in values.items() if k in EVENT_PROPS and k not in ("id", "ownerId", "sequence")},
                            values.get("ownerId", "scheduler-admin"), now, event_id=event_id)
        for resource_id in values.get("resourceIds") or []:
            store_link(s, event["id"], int(resource_id), now)
        out["events"].append({**s.event_json(event), "instanceIds": [e["id"] for e in s.instances(event["id"])]})
    for item in body.get("links") or []:
        out["links"].append(s.link_json(store_link(s, int(item["eventId"]), int(item["resourceId"]), now)))
    return out


def parse_form(content_type, body):
    """Fields and files of a request body (urlencoded or multipart)."""
    params, files = {}, {}
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                files[name] = payload
            else:
                params[name] = payload.decode()
    elif body:
        for name, value in urllib.parse.parse_qsl(body.decode(), keep_blank_values=True):
            params[name] = value
    return params, files


def colon_names(params):
    """`filter[pager][pageSize]` as `filter:pager:pageSize`: Kaltura reads both spellings of a nested property."""
    return {re.sub(r"\[([^\]]*)\]", r":\1", name): value for name, value in params.items()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):
        pass

    def answer(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/_test/state"):
            s = self.state
            with s.lock:
                self.answer(200, {"entries": list(s.entries.values()), "tokens": list(s.tokens.values()),
                                  "categoryEntries": s.category_entries, "calls": s.calls,
                                  "scheduleResources": [s.resource_json(r) for r in s.resources.values()],
                                  "scheduleEvents": [s.event_json(e) for e in s.events.values()],
                                  "scheduleEventResources": [s.link_json(l) for l in s.links]})
        else:
            self.answer(404, {})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        if url.path == "/_test/fail":
            with self.state.lock:
                self.state.fail += [(query["code"], query.get("call", "").lower() or None)] * int(query.get("count", "1"))
            return self.answer(200, {})
        if url.path == "/_test/seed":
            with self.state.lock:
                try:
                    return self.answer(200, strip_nulls(seed(self.state, json.loads(body or b"{}"))))
                except APIError as error:
                    return self.answer(400, error.json())
                except (KeyError, TypeError, ValueError) as error:
                    return self.answer(400, {"error": f"seed: {type(error).__name__} {error}"})
        parts = url.path.strip("/").split("/")
        if len(parts) != 5 or parts[0] != "api_v3" or parts[1] != "service" or parts[3] != "action":
            return self.answer(404, {"code": "SERVICE_DOES_NOT_EXISTS", "message": "no such path", "objectType": "KalturaAPIException"})
        params, files = parse_form(self.headers.get("Content-Type", ""), body)
        params = colon_names({**query, **params})
        service, action = parts[2].lower(), parts[4].lower()
        with self.state.lock:
            name = f"{service}.{action}"
            self.state.calls.append(name)
            injected = next((f for f in self.state.fail if f[1] is None or f[1] == name), None)
            if injected is not None:
                self.state.fail.remove(injected)
                code = injected[0]
                if code.isdigit():
                    return self.answer(int(code), {"code": "HTTP", "message": f"HTTP {code}", "objectType": "KalturaAPIException"})
                return self.answer(200, APIError(code, f"injected {code}").json())
            try:
                result = call(self.state, service, action, params, files)
            except APIError as error:
                return self.answer(200, error.json())
        self.answer(200, strip_nulls(result))


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    options = dict(zip(sys.argv[3::2], sys.argv[4::2]))
    Handler.state = State(directory, int(options.get("--ks-expiry", "86400")), options.get("--hash-type", "SHA1"),
                          int(options.get("--app-token-session-type", str(SESSION_ADMIN))), options.get("--app-token-privileges", ""))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

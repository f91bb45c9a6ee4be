"""Names of LTI 1.3 claims and roles, and reading them from a launch's data."""

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
CLAIMS = {
    "message_type": LTI + "message_type",
    "version": LTI + "version",
    "deployment_id": LTI + "deployment_id",
    "target_link_uri": LTI + "target_link_uri",
    "resource_link": LTI + "resource_link",
    "roles": LTI + "roles",
    "context": LTI + "context",
    "custom": LTI + "custom",
    "launch_presentation": LTI + "launch_presentation",
    "tool_platform": LTI + "tool_platform",
    "ags": "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint",
    "nrps": "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice",
    "deep_linking_settings": "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings",
}

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"

AGS_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
AGS_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
AGS_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
AGS_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_READONLY = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

# Context roles that make someone an instructor of the cohort (LTI 1.3 §A.2.2); the short
# forms are deprecated but Moodle and Open edX still send some of them.
INSTRUCTOR_ROLES = {"Instructor", "Administrator", "ContentDeveloper", "TeachingAssistant"}


def get(data: dict, name: str, default=None):
    return data.get(CLAIMS[name], default)


def is_instructor(roles) -> bool:
    """Whether the LTI roles include a teaching role in the context.

    Roles come as full URIs (…/membership#Instructor), sub-roles
    (…/membership/Instructor#TeachingAssistant) or the deprecated short names. Institution
    roles (…/institution/person#Administrator) are not context roles and are ignored:
    an institution's administrator launching as a learner is a learner here.
    """
    for role in roles or []:
        if not isinstance(role, str) or "/institution/" in role or "/system/" in role:
            continue
        name = role.rsplit("#", 1)[-1]
        if name in INSTRUCTOR_ROLES or "/membership/Instructor" in role:
            return True
    return False

"""OAuth 2.0 scopes an API client can be granted."""

SCOPES = {
    "courses:read": "Read courses, lessons, cohorts and assignments",
    "users:read": "Find learners",
    "users:write": "Create learners and link their external ids",
    "enrollments:read": "Read enrollments",
    "enrollments:write": "Enroll and drop learners",
    "progress:read": "Read lesson progress and knowledge-check results",
    "grades:read": "Read submissions and released grades",
    "webhooks:manage": "Register webhook endpoints",
}

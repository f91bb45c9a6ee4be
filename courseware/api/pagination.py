"""Cursor pagination that stays stable while rows are inserted, with RFC 8288 Link headers."""

from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    # Ordering by the primary key: new rows land after every cursor already handed out,
    # so a client walking the pages never sees a row twice or misses one.
    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        links = []
        if response.data.get("next"):
            links.append(f'<{response.data["next"]}>; rel="next"')
        if response.data.get("previous"):
            links.append(f'<{response.data["previous"]}>; rel="prev"')
        if links:
            response["Link"] = ", ".join(links)
        return response

from rest_framework.pagination import PageNumberPagination


class ShopPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (up to 100, default 20), as the monolith pages."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

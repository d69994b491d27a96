from django.db import transaction
from rest_framework import generics, permissions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import APIView

from legacy_monolith.common.helpers import cart_for, customer_for
from legacy_monolith.customers.models import Address, Customer
from legacy_monolith.customers.serializers import (
    AddressSerializer,
    CustomerSerializer,
    RegisterSerializer,
    User,
)


class RegisterView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            user = User.objects.create_user(**data)
            customer = Customer.objects.create(user=user)
            cart_for(customer)  # every customer gets an (empty) cart right away
            token = Token.objects.create(user=user)
        body = {"token": token.key, "customer": CustomerSerializer(customer).data}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenView(ObtainAuthToken):
    """POST {username, password} -> {token}."""

    authentication_classes: list = []

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MeView(generics.RetrieveUpdateAPIView):
    serializer_class = CustomerSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        customer = customer_for(self.request.user)
        return (
            Customer.objects.select_related("user")
            .prefetch_related("addresses")
            .get(pk=customer.pk)
        )


class AddressViewSet(viewsets.ModelViewSet):
    serializer_class = AddressSerializer
    ordering_fields = ["id", "created_at", "city"]
    search_fields = ["line1", "city", "postcode"]

    def get_queryset(self):
        return Address.objects.filter(customer=customer_for(self.request.user))

    def perform_create(self, serializer):
        serializer.save(customer=customer_for(self.request.user))

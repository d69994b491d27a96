from django.contrib.auth import get_user_model
from rest_framework import serializers

from legacy_monolith.common.helpers import open_shipments_for
from legacy_monolith.customers.models import Address, Customer

User = get_user_model()


class AddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = ["id", "label", "line1", "line2", "city", "postcode", "country", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_country(self, value):
        if len(value) != 2 or not value.isalpha():
            raise serializers.ValidationError("Use a two-letter ISO country code such as DE.")
        return value.upper()


class CustomerSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.EmailField(source="user.email", required=False)
    first_name = serializers.CharField(source="user.first_name", required=False, allow_blank=True)
    last_name = serializers.CharField(source="user.last_name", required=False, allow_blank=True)
    addresses = AddressSerializer(many=True, read_only=True)
    # The profile page shows how many parcels are on their way (a peek into shipping).
    open_shipments = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "phone",
            "newsletter",
            "loyalty_points",
            "default_address",
            "addresses",
            "open_shipments",
            "created_at",
        ]
        read_only_fields = ["id", "loyalty_points", "created_at"]

    def get_open_shipments(self, customer) -> int:
        return open_shipments_for(customer)

    def validate_default_address(self, value):
        if value is not None and value.customer_id != self.instance.id:
            raise serializers.ValidationError("That address is not one of yours.")
        return value

    def update(self, instance, validated_data):
        user_data = validated_data.pop("user", {})
        for key, value in user_data.items():
            setattr(instance.user, key, value)
        if user_data:
            instance.user.save(update_fields=list(user_data))
        return super().update(instance, validated_data)


class RegisterSerializer(serializers.Serializer):
    username = serializers.RegexField(
        r"^[\w.@+-]{3,150}$",
        max_length=150,
        error_messages={"invalid": "Use 3 to 150 letters, digits and @/./+/-/_ only."},
    )
    password = serializers.CharField(min_length=8, write_only=True)
    email = serializers.EmailField()
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)

    def validate_username(self, value):
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("That username is taken.")
        return value

from rest_framework import serializers

from legacy_monolith.catalog.models import Product
from legacy_monolith.common.utils import money
from legacy_monolith.orders.models import Cart, CartItem, Order, OrderEvent, OrderLine
from legacy_monolith.payments.models import Payment


class CartItemSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit_price = serializers.DecimalField(
        source="product.price", max_digits=10, decimal_places=2, read_only=True
    )
    line_total = serializers.SerializerMethodField()

    class Meta:
        model = CartItem
        fields = ["id", "product", "product_name", "unit_price", "quantity", "line_total"]
        read_only_fields = ["id", "product"]

    def get_line_total(self, item) -> str:
        return str(money(item.product.price * item.quantity))

    def validate_quantity(self, value):
        if not 1 <= value <= 99:
            raise serializers.ValidationError("Quantity must be between 1 and 99.")
        return value


class AddCartItemSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.filter(is_active=True),
        error_messages={"does_not_exist": "Product {pk_value} does not exist or is not sold."},
    )
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)


class CartSerializer(serializers.ModelSerializer):
    items = CartItemSerializer(many=True, read_only=True)
    item_count = serializers.SerializerMethodField()
    subtotal = serializers.SerializerMethodField()
    weight_kg = serializers.SerializerMethodField()

    class Meta:
        model = Cart
        fields = ["id", "items", "item_count", "subtotal", "weight_kg", "updated_at"]

    def get_item_count(self, cart) -> int:
        return sum(i.quantity for i in cart.items.all())

    def get_subtotal(self, cart) -> str:
        return str(money(sum(i.product.price * i.quantity for i in cart.items.all())))

    def get_weight_kg(self, cart) -> float:
        return float(round(sum(i.product.weight_kg * i.quantity for i in cart.items.all()), 3))


class CheckoutSerializer(serializers.Serializer):
    address = serializers.IntegerField(min_value=1)
    payment_method = serializers.ChoiceField(
        choices=Payment.Method.values,
        error_messages={"invalid_choice": '"{input}" is not a payment method we take.'},
    )


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["id", "product", "product_name", "quantity", "unit_price", "line_total"]


class OrderEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderEvent
        fields = ["kind", "note", "created_at"]


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    events = OrderEventSerializer(many=True, read_only=True)
    payment = serializers.SerializerMethodField()
    shipment = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "customer",
            "shipping_address",
            "shipping_address_text",
            "subtotal",
            "shipping_cost",
            "tax",
            "total",
            "lines",
            "events",
            "payment",
            "shipment",
            "placed_at",
            "created_at",
            "updated_at",
        ]

    def get_payment(self, order):
        payment = order.payments.order_by("id").first()
        if payment is None:
            return None
        return {
            "id": payment.id,
            "transaction_id": str(payment.transaction_id),
            "status": payment.status,
            "amount": str(payment.amount),
        }

    def get_shipment(self, order):
        # Orders reach into shipping through the reverse one-to-one.
        shipment = getattr(order, "shipment", None)
        if shipment is None:
            return None
        return {
            "id": shipment.id,
            "status": shipment.status,
            "tracking_number": shipment.tracking_number,
            "weight_kg": shipment.weight_kg,
        }

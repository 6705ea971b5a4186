# python manage.py shell
from djangotailoring.tracking.models import Event

for event in Event.objects.order_by("timestamp"):
    print(event.name, event.user, event.related_object, event.note, event.data.get("extra"))

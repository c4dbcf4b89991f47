"""Each views module declares its own `urlpatterns`; they are joined here."""

from .views import actions, documents, exports, plans, visits

app_name = "inspections"
urlpatterns = [*plans.urlpatterns, *visits.urlpatterns, *actions.urlpatterns, *documents.urlpatterns, *exports.urlpatterns]

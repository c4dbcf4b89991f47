"""Each views module of the round declares its own `urlpatterns`; they are joined here."""

from .views import assessment, evidence, excel, rounds

app_name = "scoring"
urlpatterns = [*rounds.urlpatterns, *assessment.urlpatterns, *evidence.urlpatterns, *excel.urlpatterns]

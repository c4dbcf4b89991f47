"""Each views module of the round declares its own `urlpatterns`; they are joined here."""

from .views import analysis, assessment, evidence, excel, ranking, reports, rounds

app_name = "scoring"
urlpatterns = [*rounds.urlpatterns, *analysis.urlpatterns, *assessment.urlpatterns, *evidence.urlpatterns, *excel.urlpatterns, *ranking.urlpatterns, *reports.urlpatterns]

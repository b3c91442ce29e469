"""The words of the dashboard, in French (the default) and English.

The vocabulary follows ../shared/spec/glossary.md; KPI labels, formulas and
section names come from the catalogue (pilotage/catalogue/kpis.py).
"""

from __future__ import annotations

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"

STRINGS: dict[str, dict[str, str]] = {
    # ------------------------------------------------------------------ frame
    "app.tagline": {"fr": "Piloter la performance commerciale", "en": "Steer sales performance"},
    "app.skip": {"fr": "Aller au contenu", "en": "Skip to content"},
    "nav.label": {"fr": "Navigation principale", "en": "Main navigation"},
    "nav.overview": {"fr": "Vue d'ensemble", "en": "Overview"},
    "nav.leads": {"fr": "Leads et canaux", "en": "Leads and channels"},
    "nav.pipeline": {"fr": "Pipeline", "en": "Pipeline"},
    "nav.team": {"fr": "Équipe", "en": "Team"},
    "nav.customers": {"fr": "Clients", "en": "Customers"},
    "nav.pricing": {"fr": "Prix", "en": "Pricing"},
    "nav.catalogue": {"fr": "Catalogue", "en": "Catalogue"},
    "lang.switch": {"fr": "English", "en": "Français"},
    "lang.switch_title": {"fr": "Switch to English", "en": "Passer en français"},
    "footer.api": {"fr": "API REST et documentation", "en": "REST API and documentation"},
    "footer.about": {"fr": "Pilotage, logiciel libre de pilotage commercial",
                     "en": "Pilotage, open-source sales performance platform"},
    # ------------------------------------------------------------------ filter bar
    "filters.title": {"fr": "Filtres", "en": "Filters"},
    "filters.period": {"fr": "Période", "en": "Period"},
    "filters.from": {"fr": "Du", "en": "From"},
    "filters.to": {"fr": "Au (exclu)", "en": "To (excluded)"},
    "filters.grain": {"fr": "Granularité", "en": "Grain"},
    "filters.team": {"fr": "Équipe", "en": "Team"},
    "filters.rep": {"fr": "Commercial", "en": "Sales rep"},
    "filters.source": {"fr": "Source", "en": "Source"},
    "filters.segment": {"fr": "Segment", "en": "Segment"},
    "filters.pipeline": {"fr": "Pipeline", "en": "Pipeline"},
    "filters.compare": {"fr": "Comparer avec", "en": "Compare with"},
    "filters.all": {"fr": "Toutes", "en": "All"},
    "filters.all_m": {"fr": "Tous", "en": "All"},
    "filters.apply": {"fr": "Appliquer", "en": "Apply"},
    "filters.reset": {"fr": "Réinitialiser", "en": "Reset"},
    "filters.showing": {"fr": "Période affichée", "en": "Showing"},
    "colon": {"fr": "\u00a0:", "en": ":"},  # French puts a (no-break) space before a colon
    "filters.ignored": {"fr": "Filtre non applicable ici, ignoré", "en": "Filter not applicable here, ignored"},
    "filters.ignored_for": {"fr": "non applicable à", "en": "not applicable to"},
    "preset.month": {"fr": "Ce mois-ci", "en": "This month"},
    "preset.last_month": {"fr": "Le mois dernier", "en": "Last month"},
    "preset.quarter": {"fr": "Ce trimestre", "en": "This quarter"},
    "preset.last_quarter": {"fr": "Le trimestre dernier", "en": "Last quarter"},
    "preset.ytd": {"fr": "Depuis le début de l'année", "en": "Year to date"},
    "preset.12m": {"fr": "12 derniers mois", "en": "Last 12 months"},
    "preset.custom": {"fr": "Personnalisée", "en": "Custom"},
    "period.data_end": {"fr": "Les données s'arrêtent au {date} : la période se termine au dernier mois "
                              "complet des données.",
                        "en": "The data ends on {date}: the period ends at the data's last complete month."},
    "period.to_date": {"fr": "Période en cours : comparée au même nombre de jours de la période précédente.",
                       "en": "Period under way: compared with the same number of days of the previous period."},
    "common.immature_short": {"fr": "en cours de maturation", "en": "still maturing"},
    "common.immature": {"fr": "Des affaires de cette période sont encore ouvertes : le taux va encore changer et "
                              "n'est pas comparé.",
                        "en": "Deals of this period are still open: the rate will still change and is not compared."},
    "grain.auto": {"fr": "Automatique", "en": "Automatic"},
    "grain.day": {"fr": "Jour", "en": "Day"},
    "grain.week": {"fr": "Semaine", "en": "Week"},
    "grain.month": {"fr": "Mois", "en": "Month"},
    "grain.quarter": {"fr": "Trimestre", "en": "Quarter"},
    "grain.year": {"fr": "Année", "en": "Year"},
    "compare.previous": {"fr": "Période précédente", "en": "Previous period"},
    "compare.year": {"fr": "Même période l'an dernier", "en": "Same period last year"},
    "quarter.short": {"fr": "T", "en": "Q"},
    # ------------------------------------------------------------------ common
    "common.not_available": {"fr": "non disponible", "en": "not available"},
    "common.small_sample": {"fr": "échantillon trop faible", "en": "sample too small"},
    "common.small_sample_help": {"fr": "moins de 30 observations : à interpréter avec prudence",
                                 "en": "fewer than 30 observations: read with care"},
    "overview.by_team": {"fr": "Par équipe (100 % = objectif)", "en": "By team (100% = target)"},
    "common.loading": {"fr": "Chargement…", "en": "Loading…"},
    "common.no_data_chart": {"fr": "Pas de données pour cette période", "en": "No data for this period"},
    "common.search": {"fr": "Rechercher dans le tableau", "en": "Search the table"},
    "common.sort": {"fr": "Trier", "en": "Sort"},
    "common.show_all": {"fr": "tout afficher", "en": "show all"},
    "common.others_group": {"fr": "Autres", "en": "Others"},
    "filters.toggle": {"fr": "Filtres", "en": "Filters"},
    "common.no_data": {"fr": "Aucune donnée sur cette période.", "en": "No data for this period."},
    "common.total": {"fr": "Total", "en": "Total"},
    "common.vs_previous": {"fr": "vs période précédente", "en": "vs previous period"},
    "common.vs_year": {"fr": "vs l'an dernier", "en": "vs last year"},
    "common.details": {"fr": "Détail", "en": "Details"},
    "common.see_kpi": {"fr": "Voir l'indicateur", "en": "See the KPI"},
    "common.of": {"fr": "sur", "en": "of"},
    "common.interval": {"fr": "intervalle de confiance à 95 %", "en": "95% confidence interval"},
    "common.others": {"fr": "autres valeurs non affichées", "en": "more values not shown"},
    "common.value": {"fr": "Valeur", "en": "Value"},
    "common.period": {"fr": "Période", "en": "Period"},
    "common.count": {"fr": "Nombre", "en": "Count"},
    "common.share": {"fr": "Part", "en": "Share"},
    "common.better_up": {"fr": "plus c'est haut, mieux c'est", "en": "higher is better"},
    "common.better_down": {"fr": "plus c'est bas, mieux c'est", "en": "lower is better"},
    "common.better_none": {"fr": "ni bon ni mauvais en soi", "en": "neither good nor bad in itself"},
    "common.improving": {"fr": "en amélioration", "en": "improving"},
    "common.worsening": {"fr": "en dégradation", "en": "worsening"},
    "common.yes": {"fr": "oui", "en": "yes"},
    "common.no": {"fr": "non", "en": "no"},
    "common.unknown": {"fr": "(non renseigné)", "en": "(not set)"},
    # ------------------------------------------------------------------ overview
    "overview.title": {"fr": "Vue d'ensemble", "en": "Overview"},
    "overview.intro": {"fr": "Les indicateurs clés de l'équipe commerciale, avec leur évolution.",
                       "en": "The sales team's key indicators and how they move."},
    "overview.focus": {"fr": "Indicateurs clés", "en": "Key indicators"},
    "overview.sparkline": {"fr": "Tendance sur 12 périodes", "en": "Trend over 12 periods"},
    "overview.target": {"fr": "Objectif", "en": "Target"},
    "overview.attained": {"fr": "atteint à", "en": "attained"},
    "overview.revenue_chart": {"fr": "Progression du chiffre d'affaires", "en": "Revenue progression"},
    "overview.revenue_now": {"fr": "Chiffre d'affaires", "en": "Revenue"},
    "overview.cumulative": {"fr": "Cumul", "en": "Cumulative"},
    "team.attainment_chart": {"fr": "Atteinte de l'objectif par commercial (100 % = quota atteint)",
                              "en": "Quota attainment per rep (100 % = quota reached)"},
    # ------------------------------------------------------------------ leads
    "leads.title": {"fr": "Leads et canaux", "en": "Leads and channels"},
    "leads.intro": {"fr": "D'où viennent les leads, ce qu'ils coûtent et ce qu'ils rapportent.",
                    "en": "Where leads come from, what they cost and what they bring."},
    "leads.by_source_time": {"fr": "Leads par source", "en": "Leads by source"},
    "leads.by_source": {"fr": "Qualification et conversion par canal", "en": "Qualification and conversion by channel"},
    "leads.acquisition": {"fr": "Coûts d'acquisition", "en": "Acquisition costs"},
    "leads.campaigns": {"fr": "Campagnes", "en": "Campaigns"},
    "leads.campaign": {"fr": "Campagne", "en": "Campaign"},
    "leads.no_campaign": {"fr": "Aucune campagne lancée sur cette période.",
                          "en": "No campaign started in this period."},
    "leads.campaigns_note": {"fr": "Campagnes lancées dans la période, triées par ROI.",
                             "en": "Campaigns started in the period, sorted by ROI."},
    "leads.social": {"fr": "Social selling (LinkedIn)", "en": "Social selling (LinkedIn)"},
    "leads.social_posts_chart": {"fr": "Publications des commerciaux", "en": "Reps' posts"},
    "leads.views": {"fr": "Vues", "en": "Views"},
    "leads.likes": {"fr": "Mentions j'aime", "en": "Likes"},
    "leads.from_linkedin": {"fr": "Issus de LinkedIn", "en": "From LinkedIn"},
    # ------------------------------------------------------------------ pipeline
    "pipeline.title": {"fr": "Pipeline", "en": "Pipeline"},
    "pipeline.intro": {"fr": "Le tunnel de vente : où les affaires avancent, où elles se perdent.",
                       "en": "The sales funnel: where deals move forward and where they leak."},
    "pipeline.funnel": {"fr": "Entonnoir de conversion", "en": "Conversion funnel"},
    "pipeline.funnel_note": {"fr": "Opportunités créées dans la période ayant atteint chaque étape.",
                             "en": "Opportunities created in the period that reached each stage."},
    "pipeline.stage": {"fr": "Étape", "en": "Stage"},
    "pipeline.reached": {"fr": "Ont atteint l'étape", "en": "Reached the stage"},
    "pipeline.to_next": {"fr": "Conversion vers l'étape suivante", "en": "Conversion to the next stage"},
    "pipeline.dropoff": {"fr": "Perdues à cette étape", "en": "Dropped at this stage"},
    "pipeline.by_stage": {"fr": "Pipeline en cours par étape", "en": "Open pipeline by stage"},
    "pipeline.at_end": {"fr": "à la fin de la période", "en": "at the end of the period"},
    "pipeline.proposals": {"fr": "Propositions commerciales", "en": "Proposals"},
    "pipeline.cycle": {"fr": "Durée du cycle de vente", "en": "Sales cycle length"},
    "pipeline.cycle_hist": {"fr": "Répartition des affaires signées par durée du cycle (jours)",
                            "en": "Deals won by sales-cycle length (days)"},
    "pipeline.cycle_days": {"fr": "Jours entre l'arrivée du lead et la signature",
                            "en": "Days from the lead's arrival to the signature"},
    "pipeline.deals": {"fr": "Affaires", "en": "Deals"},
    "pipeline.mean": {"fr": "Moyenne", "en": "Mean"},
    "pipeline.median": {"fr": "Médiane", "en": "Median"},
    "pipeline.lost": {"fr": "Motifs de perte", "en": "Lost reasons"},
    "pipeline.lost_note": {"fr": "Affaires perdues clôturées dans la période.",
                           "en": "Deals lost and closed in the period."},
    "pipeline.reason": {"fr": "Motif", "en": "Reason"},
    "pipeline.truncated": {"fr": "calculé sur les {n} premières affaires", "en": "computed on the first {n} deals"},
    "pipeline.name": {"fr": "Pipeline", "en": "Pipeline"},
    "pipeline.last_stage": {"fr": "Dernière étape", "en": "Last stage"},
    # ------------------------------------------------------------------ team
    "team.title": {"fr": "Équipe", "en": "Team"},
    "team.intro": {"fr": "Le classement des commerciaux et les résultats par équipe commerciale.",
                   "en": "The reps' leaderboard and the results per sales team."},
    "team.leaderboard": {"fr": "Classement des commerciaux", "en": "Sales reps leaderboard"},
    "team.rank": {"fr": "Rang", "en": "Rank"},
    "team.rep": {"fr": "Commercial", "en": "Sales rep"},
    "team.team": {"fr": "Équipe", "en": "Team"},
    "team.rollup": {"fr": "Par équipe commerciale", "en": "By sales team"},
    "team.quota_warning": {
        "fr": "Moins de 60 % des commerciaux atteignent leur quota : les objectifs sont probablement trop ambitieux.",
        "en": "Fewer than 60 % of reps reach their quota: the quotas are likely too ambitious."},
    "team.quota_ok": {"fr": "Au moins 60 % des commerciaux atteignent leur quota.",
                      "en": "At least 60 % of reps reach their quota."},
    "team.sorted": {"fr": "Trié par chiffre d'affaires.", "en": "Sorted by revenue."},
    "team.comp_rule": {"fr": "Règle : au moins 3.", "en": "Rule of thumb: at least 3."},
    # ------------------------------------------------------------------ customers
    "customers.title": {"fr": "Clients", "en": "Customers"},
    "customers.intro": {"fr": "La base clients : qui reste, qui part, ce qu'un client rapporte.",
                        "en": "The customer base: who stays, who leaves, what a customer brings."},
    "customers.active_chart": {"fr": "Clients actifs et nouveaux clients", "en": "Active and new customers"},
    "customers.churn_chart": {"fr": "Attrition et rétention", "en": "Churn and retention"},
    "customers.satisfaction": {"fr": "Satisfaction et recommandation", "en": "Satisfaction and referrals"},
    "customers.value": {"fr": "Valeur client par segment", "en": "Customer value by segment"},
    "customers.segment": {"fr": "Segment", "en": "Segment"},
    # ------------------------------------------------------------------ pricing
    "pricing.title": {"fr": "Prix", "en": "Pricing"},
    "pricing.intro": {"fr": "Notre positionnement prix face aux concurrents, produit par produit.",
                      "en": "Our price position against competitors, product by product."},
    "pricing.by_product": {"fr": "Par produit", "en": "By product"},
    "pricing.product": {"fr": "Produit", "en": "Product"},
    "pricing.index_chart": {"fr": "Indice de prix par produit (100 = prix moyen des concurrents)",
                            "en": "Price index per product (100 = competitors' mean price)"},
    "pricing.gap_chart": {"fr": "Écart de prix avec le concurrent le moins cher",
                          "en": "Price gap to the cheapest competitor"},
    "pricing.reading": {"fr": "Au-dessus de 100, nous sommes plus chers que la moyenne des concurrents.",
                        "en": "Above 100, we are dearer than the competitors' mean."},
    # ------------------------------------------------------------------ KPI page
    "kpi.formula": {"fr": "Formule", "en": "Formula"},
    "kpi.in_symbols": {"fr": "En symboles", "en": "In symbols"},
    "kpi.about": {"fr": "À quoi sert cet indicateur", "en": "What this KPI is for"},
    "kpi.unit": {"fr": "Unité", "en": "Unit"},
    "kpi.anchor": {"fr": "Date de référence", "en": "Anchor date"},
    "kpi.direction": {"fr": "Sens", "en": "Direction"},
    "kpi.dimensions": {"fr": "Axes d'analyse", "en": "Dimensions"},
    "kpi.value": {"fr": "Valeur sur la période", "en": "Value over the period"},
    "kpi.computed_from": {"fr": "calculé à partir de", "en": "computed from"},
    "kpi.numerator": {"fr": "numérateur", "en": "numerator"},
    "kpi.denominator": {"fr": "dénominateur", "en": "denominator"},
    "kpi.trend": {"fr": "Tendance", "en": "Trend"},
    "kpi.breakdown": {"fr": "Répartition", "en": "Breakdown"},
    "kpi.by": {"fr": "Par", "en": "By"},
    "kpi.no_dimension": {"fr": "Cet indicateur ne se découpe que par période.",
                         "en": "This KPI can only be cut by period."},
    "kpi.records": {"fr": "Détail des enregistrements", "en": "Records behind this figure"},
    "kpi.records_csv": {"fr": "Exporter en CSV", "en": "Export as CSV"},
    "kpi.role.value": {"fr": "Enregistrements comptés", "en": "Records counted"},
    "kpi.role.numerator": {"fr": "Numérateur", "en": "Numerator"},
    "kpi.role.denominator": {"fr": "Dénominateur", "en": "Denominator"},
    "kpi.records_count": {"fr": "{n} enregistrements", "en": "{n} records"},
    "kpi.page": {"fr": "Page {page} sur {pages}", "en": "Page {page} of {pages}"},
    "kpi.prev": {"fr": "Page précédente", "en": "Previous page"},
    "kpi.next": {"fr": "Page suivante", "en": "Next page"},
    "kpi.no_records": {"fr": "Aucun enregistrement derrière ce chiffre sur cette période.",
                       "en": "No record behind this figure in this period."},
    "kpi.catalogue_link": {"fr": "Tous les indicateurs", "en": "All KPIs"},
    # ------------------------------------------------------------------ catalogue
    "catalogue.title": {"fr": "Catalogue des indicateurs", "en": "KPI catalogue"},
    "catalogue.intro": {
        "fr": "Chaque indicateur avec sa définition : comment sont calculés les chiffres qui vous évaluent.",
        "en": "Every KPI with its definition: how the figures that judge you are computed."},
    "catalogue.period_only": {"fr": "période seulement", "en": "period only"},
    # ------------------------------------------------------------------ errors
    "error.title": {"fr": "Impossible d'afficher cette page", "en": "This page cannot be shown"},
    "error.404": {"fr": "Page introuvable", "en": "Page not found"},
    "error.back": {"fr": "Retour à la vue d'ensemble", "en": "Back to the overview"},
    "error.bad_date": {"fr": "{what} : « {value} » n'est pas une date (attendu AAAA-MM-JJ)",
                       "en": "{what}: {value!r} is not a date (expected YYYY-MM-DD)"},
    "error.date_range": {"fr": "{what} : {value} est hors des dates que Pilotage traite ({min} à {max})",
                        "en": "{what}: {value} is outside the dates Pilotage handles ({min} to {max})"},
    "error.empty_range": {"fr": "La période est vide : la fin ({end}) doit être après le début ({start}).",
                          "en": "The range is empty: the end ({end}) must be after the start ({start})."},
    "error.bad_choice": {"fr": "{what} : « {value} » n'est pas un choix possible ({choices})",
                         "en": "{what}: {value!r} is not one of the choices ({choices})"},
    "error.unknown_kpi": {"fr": "Indicateur inconnu : « {id} ». Voir le catalogue.",
                          "en": "Unknown KPI: {id!r}. See the catalogue."},
    "error.too_many_periods": {
        "fr": "{n} périodes à afficher (au plus {max}) : choisissez une granularité plus large "
              "ou une période plus courte.",
        "en": "{n} periods to show (at most {max}): choose a wider grain or a shorter range."},
    # ------------------------------------------------------------------ units
    "unit.count": {"fr": "nombre", "en": "count"},
    "unit.money": {"fr": "montant", "en": "amount"},
    "unit.rate": {"fr": "taux (%)", "en": "rate (%)"},
    "unit.ratio": {"fr": "ratio", "en": "ratio"},
    "unit.days": {"fr": "jours", "en": "days"},
    "unit.years": {"fr": "années", "en": "years"},
    "unit.score": {"fr": "score (−100 à +100)", "en": "score (−100 to +100)"},
    "unit.index": {"fr": "indice (base 100)", "en": "index (base 100)"},
    # ------------------------------------------------------------------ forecast pages (issue 13):
    # Prévisions (/previsions), Affaires ouvertes (/affaires), Valeur client (/valeur-client)
    "nav.forecast": {"fr": "Prévisions", "en": "Forecast"},
    "nav.clv": {"fr": "Valeur client", "en": "Customer value"},
    "forecast.title": {"fr": "Prévisions", "en": "Forecast"},
    "forecast.intro": {"fr": "Où le chiffre d'affaires va atterrir, ce que le pipeline couvre, les affaires "
                             "qui glissent ou qui stagnent.",
                       "en": "Where revenue will land, what the pipeline covers, the deals slipping or stuck."},
    "forecast.as_of": {"fr": "Données au {date}.", "en": "Data as of {date}."},
    "forecast.to_deals": {"fr": "Affaires ouvertes et probabilité de gain", "en": "Open deals and win probability"},
    "forecast.to_clv": {"fr": "Valeur client prédite", "en": "Predicted customer value"},
    "forecast.na": {"fr": "non disponible", "en": "not available"},
    "forecast.not_in_scope": {"fr": "ces chiffres portent sur des clients, qui n'ont ni commercial ni équipe : seul un "
                                    "administrateur les voit.",
                              "en": "these figures are about customers, who carry no rep or team: only an admin "
                                    "sees them."},
    "forecast.cannot": {"fr": "{reason}", "en": "{reason}"},
    "forecast.revenue": {"fr": "Chiffre d'affaires mensuel prévu", "en": "Monthly revenue forecast"},
    "forecast.horizon": {"fr": "Horizon", "en": "Horizon"},
    "forecast.months_unit": {"fr": "mois", "en": "months"},
    "forecast.next_month": {"fr": "Mois prochain (prévu)", "en": "Next month (forecast)"},
    "forecast.next_n": {"fr": "{n} prochains mois (prévu)", "en": "Next {n} months (forecast)"},
    "forecast.model": {"fr": "Modèle {model}, ajusté sur l'historique mensuel du chiffre d'affaires",
                       "en": "Model {model}, fitted on the monthly revenue history"},
    "forecast.naive": {"fr": "naïf saisonnier", "en": "seasonal naive"},
    "forecast.mape_formula": {"fr": "Erreur absolue moyenne en % : moyenne |réel − prévu| / réel, sur le backtest",
                              "en": "Mean absolute percentage error: mean |actual − forecast| / actual, "
                                    "on the backtest"},
    "forecast.mase_formula": {"fr": "Erreur absolue moyenne rapportée à celle de la prévision "
                                    "« même mois l'an dernier » sur l'historique "
                                    "(sous 1 : mieux que cette prévision naïve)",
                              "en": "Mean absolute error scaled by the in-sample error of 'same month last year' "
                                    "(below 1: better than that naive forecast)"},
    "forecast.bt_better": {"fr": "Le modèle fait mieux que la prévision naïve saisonnière (le même mois l'an dernier), "
                                 "mesuré sur {origins} origines glissantes à {horizon} mois.",
                           "en": "The model beats the seasonal-naive forecast (same month last year), measured on "
                                 "{origins} rolling origins, {horizon} months ahead."},
    "forecast.bt_naive": {"fr": "Le modèle ne fait pas mieux que la prévision naïve saisonnière (le même mois l'an "
                                "dernier), mesuré sur {origins} origines glissantes à {horizon} mois : lisez ses "
                                "chiffres comme une simple projection.",
                          "en": "The model is no better than the seasonal-naive forecast (same month last year), "
                                "measured on {origins} rolling origins, {horizon} months ahead: read its figures as a "
                                "plain projection."},
    "forecast.bt_short": {"fr": "Historique trop court pour mesurer l'erreur du modèle.",
                          "en": "Too little history to measure the model's error."},
    "forecast.chart": {"fr": "Chiffre d'affaires réel et prévu, intervalles à 80 % et 95 %",
                       "en": "Actual and forecast revenue, 80% and 95% intervals"},
    "forecast.actual": {"fr": "Réel", "en": "Actual"},
    "forecast.forecast": {"fr": "Prévu", "en": "Forecast"},
    "forecast.band80": {"fr": "Intervalle 80 %", "en": "80% interval"},
    "forecast.band95": {"fr": "Intervalle 95 %", "en": "95% interval"},
    "forecast.table": {"fr": "Prévision par mois", "en": "Forecast by month"},
    "forecast.month": {"fr": "Mois", "en": "Month"},
    "forecast.int80": {"fr": "Intervalle 80 %", "en": "80% interval"},
    "forecast.int95": {"fr": "Intervalle 95 %", "en": "95% interval"},
    "forecast.how": {"fr": "Comment c'est calculé", "en": "How it is computed"},
    "forecast.how_text": {"fr": "Lissage exponentiel {model} (statsmodels) sur le chiffre d'affaires signé de "
                                "chaque mois complet ; tendance amortie à partir de 10 mois d'historique, "
                                "saisonnalité de 12 mois "
                                "à partir de 24. Intervalles de prévision du modèle, jamais sous zéro. Backtest : pour "
                                "chacun des 6 derniers mois pris comme origine, le modèle est ajusté sur les mois "
                                "d'avant et prévoit les suivants ; ses erreurs sont comparées à celles de la prévision "
                                "naïve saisonnière.",
                          "en": "Exponential smoothing {model} (statsmodels) on the revenue won in each complete "
                                "month; damped trend from 10 months of history, 12-month seasonality from 24. The "
                                "model's prediction intervals, never below zero. Backtest: for each of the last 6 "
                                "months taken as origin, the model is fitted on the months before and forecasts the "
                                "next ones; its errors are compared with the seasonal-naive forecast's."},
    "forecast.coverage": {"fr": "Couverture du pipeline", "en": "Pipeline coverage"},
    "forecast.cov_open": {"fr": "pipeline prévu", "en": "pipeline expected"},
    "forecast.cov_left": {"fr": "reste à signer", "en": "left to win"},
    "forecast.cov_met": {"fr": "objectif déjà atteint", "en": "target already met"},
    "forecast.cov_no_target": {"fr": "pas d'objectif sur ce trimestre", "en": "no target for this quarter"},
    "forecast.coverage_rule": {"fr": "Pipeline ouvert dont la clôture est prévue dans le trimestre, rapporté à ce qui "
                                     "reste à signer sur l'objectif : la règle empirique veut environ 3.",
                               "en": "Open pipeline expected to close in the quarter over what is left to win against "
                                     "the target: the rule of thumb is about 3."},
    "forecast.by_category": {"fr": "Prévision par catégorie et mois de clôture prévu",
                             "en": "Forecast by category and expected close month"},
    "forecast.by_rep": {"fr": "Par commercial", "en": "By rep"},
    "forecast.by_team": {"fr": "Par équipe", "en": "By team"},
    "forecast.cat_help": {"fr": "{window} : signé (affaires gagnées, par mois de clôture), puis les affaires ouvertes "
                                "par catégorie de prévision et mois de clôture prévu.",
                          "en": "{window}: closed (deals won, by close month), then open deals by forecast category "
                                "and expected close month."},
    "forecast.close_month": {"fr": "Mois de clôture", "en": "Close month"},
    "forecast.no_date": {"fr": "Sans date prévue", "en": "No expected date"},
    "forecast.cat_closed": {"fr": "Signé", "en": "Closed"},
    "forecast.cat_commit": {"fr": "Engagé", "en": "Commit"},
    "forecast.cat_best_case": {"fr": "Meilleur cas", "en": "Best case"},
    "forecast.cat_pipeline": {"fr": "Pipeline", "en": "Pipeline"},
    "forecast.cat_closed_help": {"fr": "Affaires gagnées dans le mois", "en": "Deals won in the month"},
    "forecast.cat_commit_help": {"fr": "Affaires ouvertes que le commercial s'engage à signer",
                                 "en": "Open deals the rep commits to win"},
    "forecast.cat_best_case_help": {"fr": "Affaires ouvertes qui peuvent se signer si tout va bien",
                                    "en": "Open deals that may close if all goes well"},
    "forecast.cat_pipeline_help": {"fr": "Autres affaires ouvertes (sans catégorie : pipeline)",
                                   "en": "Other open deals (no category: pipeline)"},
    "forecast.slipping": {"fr": "Affaires qui glissent", "en": "Slipping deals"},
    "forecast.slipping_help": {"fr": "Encore ouvertes alors que leur date de clôture prévue est passée.",
                               "en": "Still open although their expected close date has passed."},
    "forecast.late": {"fr": "Retard", "en": "Late by"},
    "forecast.stuck": {"fr": "Affaires qui stagnent", "en": "Stuck deals"},
    "forecast.stuck_help": {"fr": "À leur étape depuis plus longtemps que 90 % des affaires qui l'ont quittée.",
                            "en": "In their stage longer than 90% of the deals that left it."},
    "forecast.usual": {"fr": "Durée usuelle (P90)", "en": "Usual stay (P90)"},
    "forecast.usual_help": {"fr": "90e centile des durées passées à cette étape par les affaires qui l'ont quittée",
                            "en": "90th percentile of the stays in this stage of the deals that left it"},
    "deals.title": {"fr": "Affaires ouvertes", "en": "Open deals"},
    "deals.intro": {"fr": "Chaque affaire ouverte avec sa probabilité de gain, la moyenne de son étape et ce qui la "
                          "fait monter ou baisser.",
                    "en": "Every open deal with its win probability, its stage's average and what raises or "
                          "lowers it."},
    "deals.to_forecast": {"fr": "Retour aux prévisions", "en": "Back to the forecast"},
    "deals.account": {"fr": "Compte", "en": "Account"},
    "deals.rep": {"fr": "Commercial", "en": "Sales rep"},
    "deals.stage": {"fr": "Étape (pipeline)", "en": "Stage (pipeline)"},
    "deals.amount": {"fr": "Montant", "en": "Amount"},
    "deals.expected_close": {"fr": "Clôture prévue", "en": "Expected close"},
    "deals.days_in_stage": {"fr": "À l'étape depuis", "en": "In stage for"},
    "deals.open": {"fr": "Affaires ouvertes", "en": "Open deals"},
    "deals.open_amount": {"fr": "Montant ouvert", "en": "Open amount"},
    "deals.weighted": {"fr": "Montant pondéré", "en": "Weighted amount"},
    "deals.weighted_help": {"fr": "Σ montant × probabilité : celle du modèle s'il bat la moyenne des étapes au "
                                  "backtest, sinon celle de l'étape",
                            "en": "Σ amount × probability: the model's when it beats the stage averages on the "
                                  "backtest, else the stage's"},
    "deals.brier": {"fr": "Score de Brier (modèle)", "en": "Brier score (model)"},
    "deals.brier_help": {"fr": "Moyenne de (probabilité − issue)², sur les affaires closes après la date de coupure ; "
                               "plus bas, c'est mieux",
                         "en": "Mean of (probability − outcome)², on the deals closed after the split date; "
                               "lower is better"},
    "deals.baseline": {"fr": "moyenne des étapes", "en": "stage averages"},
    "deals.table": {"fr": "Affaires ouvertes et probabilité de gain", "en": "Open deals and win probability"},
    "deals.table_help": {"fr": "Triées par montant pondéré. ↑ fait monter la probabilité, ↓ la fait baisser.",
                         "en": "Sorted by weighted amount. ↑ raises the probability, ↓ lowers it."},
    "deals.p_win": {"fr": "Probabilité de gain", "en": "Win probability"},
    "deals.p_win_help": {"fr": "Régression logistique calibrée (Platt) sur l'étape, le temps passé à l'étape, la "
                               "source, le segment, le montant et les activités",
                         "en": "Calibrated logistic regression (Platt) on stage, time in stage, source, segment, "
                               "amount and activities"},
    "deals.p_stage": {"fr": "Moyenne de l'étape", "en": "Stage average"},
    "deals.p_stage_help": {"fr": "Part des affaires passées par cette étape qui ont été gagnées",
                           "en": "Share of the deals that went through this stage that were won"},
    "deals.factors": {"fr": "Facteurs principaux", "en": "Top factors"},
    "deals.factors_help": {"fr": "Les trois plus fortes contributions (coefficient × valeur standardisée)",
                           "en": "The three largest contributions (coefficient × standardised value)"},
    "deals.backtest": {"fr": "Le modèle est-il fiable ?", "en": "Can the model be trusted?"},
    "deals.bt_better": {"fr": "Le modèle fait mieux que la moyenne des étapes sur {tested} passages d'étape d'affaires "
                              "closes après le {split} : le montant pondéré l'utilise.",
                        "en": "The model beats the stage averages on {tested} stage visits of deals closed after "
                              "{split}: the weighted amount uses it."},
    "deals.bt_baseline": {"fr": "Le modèle ne fait pas mieux que la moyenne des étapes sur {tested} passages d'étape "
                                "d'affaires closes après le {split} : le montant pondéré utilise la moyenne des "
                                "étapes.",
                          "en": "The model is no better than the stage averages on {tested} stage visits of deals "
                                "closed after {split}: the weighted amount uses the stage averages."},
    "deals.bt_short": {"fr": "Trop peu d'affaires closes pour entraîner et tester le modèle : les probabilités sont "
                             "les moyennes des étapes.",
                       "en": "Too few closed deals to train and test the model: the probabilities are the stage "
                             "averages."},
    "deals.calibration": {"fr": "Calibration : probabilité prévue et part gagnée",
                          "en": "Calibration: predicted probability and share won"},
    "deals.perfect": {"fr": "Calibration parfaite", "en": "Perfect calibration"},
    "deals.model": {"fr": "Modèle", "en": "Model"},
    "deals.predicted": {"fr": "Probabilité prévue", "en": "Predicted probability"},
    "deals.observed": {"fr": "Part gagnée", "en": "Share won"},
    "deals.bin": {"fr": "Tranche", "en": "Bin"},
    "deals.visits": {"fr": "Passages d'étape", "en": "Stage visits"},
    "deals.how_text": {"fr": "Un exemple par affaire close et étape traversée, étiqueté gagné ou perdu. Le modèle est "
                             "entraîné sur les affaires closes avant le 80e centile des dates de clôture et jugé sur "
                             "les suivantes, à côté de la moyenne des étapes apprise sur la même période. Le modèle "
                             "et ses normes sont ceux de toute l'entreprise ; les affaires listées sont celles de "
                             "votre périmètre.",
                       "en": "One example per closed deal and stage it went through, labelled won or lost. The model "
                             "is trained on the deals closed before the 80th percentile of close dates and judged on "
                             "the later ones, beside the stage averages learned on the same period. The model and its "
                             "norms are the company's; the deals listed are those of your scope."},
    "cvalue.title": {"fr": "Valeur client", "en": "Customer value"},
    "cvalue.intro": {"fr": "Ce que chaque client devrait rapporter : achats attendus, probabilité d'être encore "
                           "client, valeur actualisée.",
                     "en": "What each customer should bring: expected purchases, probability of still being a "
                           "customer, discounted value."},
    "cvalue.until": {"fr": "Commandes jusqu'au {date}.", "en": "Orders up to {date}."},
    "cvalue.customers": {"fr": "Clients", "en": "Customers"},
    "cvalue.customer": {"fr": "Client", "en": "Customer"},
    "cvalue.clv": {"fr": "Valeur vie client prédite", "en": "Predicted lifetime value"},
    "cvalue.clv_total": {"fr": "Valeur prédite, {h} mois", "en": "Predicted value, {h} months"},
    "cvalue.clv_total_short": {"fr": "Valeur prédite", "en": "Predicted value"},
    "cvalue.clv_mean": {"fr": "Valeur prédite par client", "en": "Predicted value per customer"},
    "cvalue.clv_formula": {"fr": "Σ sur l'horizon des achats attendus chaque mois (BG/NBD) × panier attendu "
                                 "(Gamma-Gamma), actualisés à 1 % par mois",
                           "en": "Σ over the horizon of each month's expected purchases (BG/NBD) × expected spend "
                                 "(Gamma-Gamma), discounted at 1% a month"},
    "cvalue.p_alive_mean": {"fr": "P(encore client), moyenne", "en": "P(alive), mean"},
    "cvalue.p_alive": {"fr": "P(encore client)", "en": "P(alive)"},
    "cvalue.p_alive_help": {"fr": "Probabilité que le client n'ait pas cessé d'acheter (BG/NBD), vu sa fréquence et "
                                  "son dernier achat",
                            "en": "Probability that the customer has not stopped buying (BG/NBD), given their "
                                  "frequency and last purchase"},
    "cvalue.distribution": {"fr": "Répartition de la valeur prédite", "en": "Distribution of predicted value"},
    "cvalue.by_segment": {"fr": "Par segment", "en": "By segment"},
    "cvalue.segment": {"fr": "Segment", "en": "Segment"},
    "cvalue.top": {"fr": "Les clients les plus précieux", "en": "The most valuable customers"},
    "cvalue.purchases": {"fr": "Achats répétés", "en": "Repeat purchases"},
    "cvalue.purchases_help": {"fr": "Jours d'achat après le premier (fréquence du modèle)",
                              "en": "Purchase days after the first (the model's frequency)"},
    "cvalue.expected_purchases": {"fr": "Achats attendus ({h} mois)", "en": "Expected purchases ({h} months)"},
    "cvalue.avg_spend": {"fr": "Panier attendu", "en": "Expected spend"},
    "cvalue.how": {"fr": "Comment c'est calculé", "en": "How it is computed"},
    "cvalue.how_text": {"fr": "Le modèle BG/NBD (Fader, Hardie et Lee, 2005) estime, à partir de la fréquence, de la "
                              "récence et de l'ancienneté de chaque client (en semaines), ses achats à venir et la "
                              "probabilité qu'il soit encore client ; le modèle Gamma-Gamma son panier moyen. Les "
                              "deux sont ajustés par maximum de vraisemblance sur les commandes. La valeur prédite "
                              "cumule {h} mois d'achats attendus × panier, actualisés à 1 % par mois. Paramètres "
                              "ajustés :",
                        "en": "The BG/NBD model (Fader, Hardie and Lee, 2005) estimates from each customer's "
                              "frequency, recency and age (in weeks) their coming purchases and the probability "
                              "that they are still a customer; the Gamma-Gamma model their average spend. Both are "
                              "fitted by maximum likelihood on the orders. The predicted value adds up {h} months of "
                              "expected purchases × spend, discounted at 1% a month. Fitted parameters:"},
    "cvalue.loglik": {"fr": "log-vraisemblance", "en": "log-likelihood"},
    "cvalue.repeat_buyers": {"fr": "clients ayant racheté", "en": "repeat buyers"},
    "cvalue.how_more": {"fr": "La valeur vie client historique du catalogue :",
                        "en": "The catalogue's historical CLV:"},
    "cvalue.historical": {"fr": "Valeur vie client", "en": "Customer lifetime value"},
}

# Dimension names, as the filters and breakdowns show them.
DIMENSIONS: dict[str, dict[str, str]] = {
    "rep": {"fr": "Commercial", "en": "Sales rep"},
    "team": {"fr": "Équipe", "en": "Team"},
    "source": {"fr": "Source", "en": "Source"},
    "campaign": {"fr": "Campagne", "en": "Campaign"},
    "segment": {"fr": "Segment", "en": "Segment"},
    "region": {"fr": "Région", "en": "Region"},
    "industry": {"fr": "Secteur", "en": "Industry"},
    "product": {"fr": "Produit", "en": "Product"},
    "pipeline": {"fr": "Pipeline", "en": "Pipeline"},
    "stage": {"fr": "Étape", "en": "Stage"},
    "kind": {"fr": "Type d'affaire", "en": "Deal kind"},
}

# The usual values of a few dimensions, named for people (others are shown as stored).
VALUES: dict[str, dict[str, dict[str, str]]] = {
    "source": {
        "cold_call": {"fr": "Appel à froid", "en": "Cold call"},
        "cold_email": {"fr": "Emailing à froid", "en": "Cold email"},
        "event": {"fr": "Événement", "en": "Event"},
        "linkedin": {"fr": "LinkedIn", "en": "LinkedIn"},
        "other": {"fr": "Autre", "en": "Other"},
        "paid_web": {"fr": "Publicité en ligne", "en": "Paid web"},
        "partner": {"fr": "Partenaire", "en": "Partner"},
        "referral": {"fr": "Recommandation", "en": "Referral"},
        "website": {"fr": "Site web", "en": "Website"},
        "web": {"fr": "Site web", "en": "Website"},
        "seo": {"fr": "Référencement naturel", "en": "Organic search"},
        "inbound": {"fr": "Entrant", "en": "Inbound"},
        "trade_show": {"fr": "Salon", "en": "Trade show"},
        "webinar": {"fr": "Webinaire", "en": "Webinar"},
        "social_other": {"fr": "Autres réseaux sociaux", "en": "Other social networks"},
        "word_of_mouth": {"fr": "Bouche-à-oreille", "en": "Word of mouth"},
    },
    "segment": {
        "SMB": {"fr": "PME", "en": "SMB"},
        "smb": {"fr": "PME", "en": "SMB"},
        "mid-market": {"fr": "ETI", "en": "Mid-market"},
        "enterprise": {"fr": "Grands comptes", "en": "Enterprise"},
    },
    "kind": {
        "new_business": {"fr": "Nouvelle affaire", "en": "New business"},
        "renewal": {"fr": "Renouvellement", "en": "Renewal"},
        "upsell": {"fr": "Vente additionnelle (upsell)", "en": "Upsell"},
    },
    "pipeline": {
        "default": {"fr": "Principal", "en": "Main"},
        "partenaires": {"fr": "Partenaires", "en": "Partners"},
    },
    "status": {
        "won": {"fr": "signée", "en": "won"},
        "lost": {"fr": "perdue", "en": "lost"},
        "open": {"fr": "en cours", "en": "open"},
    },
    "forecast_category": {
        "closed": {"fr": "clôturée", "en": "closed"},
        "commit": {"fr": "engagée", "en": "commit"},
        "best_case": {"fr": "meilleur cas", "en": "best case"},
        "pipeline": {"fr": "pipeline", "en": "pipeline"},
        "omitted": {"fr": "exclue", "en": "omitted"},
    },
    "type": {
        "call": {"fr": "appel", "en": "call"},
        "email": {"fr": "email", "en": "email"},
        "meeting": {"fr": "réunion", "en": "meeting"},
        "social_post": {"fr": "publication", "en": "social post"},
        "content_share": {"fr": "contenu partagé", "en": "content share"},
        "proposal": {"fr": "proposition", "en": "proposal"},
        "other": {"fr": "autre", "en": "other"},
    },
    "industry": {
        "tech": {"fr": "Tech", "en": "Tech"},
        "retail": {"fr": "Commerce", "en": "Retail"},
        "services": {"fr": "Services", "en": "Services"},
        "santé": {"fr": "Santé", "en": "Healthcare"},
        "industrie": {"fr": "Industrie", "en": "Manufacturing"},
        "finance": {"fr": "Finance", "en": "Finance"},
        "transport": {"fr": "Transport", "en": "Transport"},
    },
}

# Column names of the records behind a figure (the CSV export keeps the stored names).
COLUMNS: dict[str, dict[str, str]] = {
    "opportunity_id": {"fr": "Opportunité", "en": "Opportunity"},
    "lead_id": {"fr": "Lead", "en": "Lead"},
    "account_id": {"fr": "Compte", "en": "Account"},
    "account": {"fr": "Compte", "en": "Account"},
    "activity_id": {"fr": "Activité", "en": "Activity"},
    "campaign_id": {"fr": "Campagne", "en": "Campaign"},
    "contract_id": {"fr": "Contrat", "en": "Contract"},
    "order_id": {"fr": "Commande", "en": "Order"},
    "quota_id": {"fr": "Quota", "en": "Quota"},
    "survey_id": {"fr": "Enquête", "en": "Survey"},
    "referral_id": {"fr": "Recommandation", "en": "Referral"},
    "product_id": {"fr": "Produit", "en": "Product"},
    "created_at": {"fr": "Créé le", "en": "Created"},
    "closed_at": {"fr": "Clôturé le", "en": "Closed"},
    "qualified_at": {"fr": "Qualifié le", "en": "Qualified"},
    "converted_at": {"fr": "Converti le", "en": "Converted"},
    "disqualified_at": {"fr": "Disqualifié le", "en": "Disqualified"},
    "proposal_sent_at": {"fr": "Proposition envoyée le", "en": "Proposal sent"},
    "expected_close_date": {"fr": "Clôture prévue", "en": "Expected close"},
    "forecast_category": {"fr": "Catégorie de prévision", "en": "Forecast category"},
    "occurred_at": {"fr": "Date", "en": "Date"},
    "ordered_at": {"fr": "Commandé le", "en": "Ordered"},
    "answered_at": {"fr": "Répondu le", "en": "Answered"},
    "referred_at": {"fr": "Recommandé le", "en": "Referred"},
    "started_on": {"fr": "Lancée le", "en": "Started"},
    "period_start": {"fr": "Début", "en": "Start"},
    "period_end": {"fr": "Fin", "en": "End"},
    "start_date": {"fr": "Début", "en": "Start"},
    "end_date": {"fr": "Fin", "en": "End"},
    "status": {"fr": "Statut", "en": "Status"},
    "stage": {"fr": "Étape", "en": "Stage"},
    "pipeline": {"fr": "Pipeline", "en": "Pipeline"},
    "kind": {"fr": "Type", "en": "Kind"},
    "type": {"fr": "Type", "en": "Type"},
    "amount": {"fr": "Montant", "en": "Amount"},
    "cost": {"fr": "Coût", "en": "Cost"},
    "margin": {"fr": "Marge", "en": "Margin"},
    "currency": {"fr": "Devise", "en": "Currency"},
    "lost_reason": {"fr": "Motif de perte", "en": "Lost reason"},
    "segment": {"fr": "Segment", "en": "Segment"},
    "region": {"fr": "Région", "en": "Region"},
    "industry": {"fr": "Secteur", "en": "Industry"},
    "team": {"fr": "Équipe", "en": "Team"},
    "rep": {"fr": "Commercial", "en": "Sales rep"},
    "product": {"fr": "Produit", "en": "Product"},
    "campaign": {"fr": "Campagne", "en": "Campaign"},
    "source": {"fr": "Source", "en": "Source"},
    "has_content": {"fr": "Contenu partagé", "en": "Content shared"},
    "cycle_days": {"fr": "Cycle (jours)", "en": "Cycle (days)"},
    "unconverted": {"fr": "Non converti", "en": "Unconverted"},
    "views": {"fr": "Vues", "en": "Views"},
    "likes": {"fr": "Mentions j'aime", "en": "Likes"},
    "score": {"fr": "Note", "en": "Score"},
    "net": {"fr": "Promoteur − détracteur", "en": "Promoter − detractor"},
    "target": {"fr": "Objectif", "en": "Target"},
    "achieved": {"fr": "Réalisé", "en": "Achieved"},
    "metric": {"fr": "Indicateur", "en": "Metric"},
    "weighted": {"fr": "Montant pondéré", "en": "Weighted amount"},
    "probability": {"fr": "Probabilité", "en": "Probability"},
    "name": {"fr": "Nom", "en": "Name"},
    "channel": {"fr": "Canal", "en": "Channel"},
    "leads_n": {"fr": "Leads", "en": "Leads"},
    "roi_gain": {"fr": "Gain", "en": "Gain"},
    "list_price": {"fr": "Prix catalogue", "en": "List price"},
    "mean_comp": {"fr": "Prix moyen concurrents", "en": "Competitors' mean price"},
    "gap": {"fr": "Écart", "en": "Gap"},
    "years": {"fr": "Années", "en": "Years"},
    "comp": {"fr": "Rémunération", "en": "Compensation"},
    "churned": {"fr": "Parti", "en": "Churned"},
    "first_at": {"fr": "Première date", "en": "First date"},
    "ended_at": {"fr": "Fin de relation", "en": "Relationship ended"},
}


def norm_lang(value: str | None) -> str:
    return value if value in LANGS else DEFAULT_LANG


def t(key: str, lang: str, **fmt) -> str:
    """The text of ``key`` in ``lang`` (the key itself when missing, so a gap shows and never breaks)."""
    entry = STRINGS.get(key)
    text = entry.get(lang) or entry.get(DEFAULT_LANG) if entry else key
    return text.format(**fmt) if fmt else text


def dimension(dim: str, lang: str) -> str:
    return DIMENSIONS.get(dim, {}).get(lang, dim)


def value_label(dim: str, value, lang: str) -> str:
    if value is None:
        return t("common.unknown", lang)
    v = str(value)
    return VALUES.get(dim, {}).get(v, {}).get(lang, v)


def column(name: str, lang: str) -> str:
    return COLUMNS.get(name, {}).get(lang, name)

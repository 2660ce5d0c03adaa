from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"

    def ready(self) -> None:
        # Boards show how many open OKRs are aligned to each KPI without importing goals.
        from boards.alignment import aligned_okr_counter_register

        from .kpi_okrs import open_objective_counts

        aligned_okr_counter_register(open_objective_counts)

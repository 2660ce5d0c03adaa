// Integration and data source forms: show only the fields that matter for the chosen schedule
// kind or authentication. Without JavaScript every field stays visible and the server still
// validates (and ignores) whatever does not apply, so this is a convenience, not a rule.
(() => {
  // Controlling select name → { dependent field name → values of the select that show it }.
  const DEPENDENTS = {
    schedule_kind: {
      schedule_interval_minutes: ["interval"],
      schedule_time: ["daily"],
      schedule_cron: ["cron"],
    },
    auth: {
      token: ["bearer"],
      username: ["basic"],
      password: ["basic"],
      api_key_header: ["api_key"],
      api_key: ["api_key"],
    },
  };

  const sync = (select) => {
    const dependents = DEPENDENTS[select.name];
    for (const [name, values] of Object.entries(dependents)) {
      const wrapper = select.form?.elements.namedItem(name)?.closest(".field");
      // A field the server refused stays in sight, whatever is chosen, so its error is read.
      if (wrapper) wrapper.hidden = !values.includes(select.value) && !wrapper.matches(".field-invalid");
    }
  };

  const selects = () =>
    Object.keys(DEPENDENTS).flatMap((name) => [
      ...document.querySelectorAll(`form select[name="${name}"]`),
    ]);

  for (const select of selects()) sync(select);
  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target instanceof HTMLSelectElement && target.name in DEPENDENTS) sync(target);
  });
})();

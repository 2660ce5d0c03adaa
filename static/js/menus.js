// The top bar's menus are plain <details> elements, so they work without JavaScript. This only
// adds what people expect of a dropdown: a click elsewhere or the Escape key closes it, and
// opening one menu closes the other.
(() => {
  const openMenus = () => document.querySelectorAll("details.menu[open]");

  document.addEventListener("click", (event) => {
    for (const menu of openMenus()) {
      if (!menu.contains(event.target)) menu.open = false;
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const menu of openMenus()) {
      menu.open = false;
      menu.querySelector("summary")?.focus();
    }
  });
})();

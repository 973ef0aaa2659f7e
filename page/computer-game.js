// Games against the computer. The page's address asks for one,
// ?computer=LEVEL&player=COLOUR, so that starting one is following a plain
// link; the controls beside "New game" choose what that link says.

// The init that asks the server for a game against the computer, or null
// when the page's address doesn't ask for one. The server checks the level
// and the colour, and explains a refusal.
export function computerGameInit(query) {
  if (!query.has("computer")) {
    return null;
  }
  const init = { type: "init", computer: query.get("computer") };
  return query.has("player") ? { ...init, player: query.get("player") } : init;
}

// Once seated, the page comes back to its seat with its token, as in any
// game: an address that still asked for a computer game would start another
// one at every reload.
export function settleAddress(page) {
  if (!page.query.has("computer")) {
    return;
  }
  const url = new URL(location.href);
  url.search = "";
  history.replaceState(history.state, "", url);
  page.query = new URLSearchParams();
}

function chosen(panel, name) {
  return panel.querySelector(`input[name="${name}"]:checked`).value;
}

// The start link always holds the chosen level and colour, so that it stays
// a plain link: it opens in a new tab too, and a click gives a fresh page.
function updateStartLink(elements) {
  const query = new URLSearchParams({
    computer: chosen(elements.computerOptions, "level"),
    player: chosen(elements.computerOptions, "colour"),
  });
  elements.computerStart.href = `./?${query}`;
}

// "Play the computer" shows its options under the page's actions, and hides them.
function toggleOptions(elements) {
  const open = elements.computerToggle.getAttribute("aria-expanded") !== "true";
  elements.computerToggle.setAttribute("aria-expanded", String(open));
  elements.computerOptions.hidden = !open;
}

export function listenToComputerChoice(elements) {
  elements.computerToggle.addEventListener("click", () => toggleOptions(elements));
  elements.computerOptions.addEventListener("change", () => updateStartLink(elements));
  updateStartLink(elements);
}

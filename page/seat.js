// The seat token, kept for this page's address only.

// Where the page keeps its seat token: sessionStorage survives a reload but
// not the tab, and the token never goes into a URL.
const SEAT_KEY = "connect4.seat";

export function loadSeat() {
  try {
    const seat = JSON.parse(sessionStorage.getItem(SEAT_KEY));
    if (seat?.search === location.search && typeof seat.token === "string" && seat.token !== "") {
      return seat.token;
    }
  } catch {
    // Storage disabled, or something else wrote the key: no seat to resume.
  }
  return null;
}

export function saveSeat(token) {
  try {
    sessionStorage.setItem(SEAT_KEY, JSON.stringify({ search: location.search, token }));
  } catch {
    // Without storage, a reload starts over, as in the tutorial.
  }
}

export function forgetSeat() {
  try {
    sessionStorage.removeItem(SEAT_KEY);
  } catch {
    // Nothing was stored.
  }
}

export function startNewGame() {
  forgetSeat();
  location.assign(new URL("./", location.href));
}

// Addresses: where the game server is, and the links the page hands out.

function readMeta(name) {
  const meta = document.querySelector(`meta[name="${name}"]`);
  return meta === null ? "" : meta.content.trim();
}

// The server puts either ":PORT" (same host as the page, so it works whatever
// name or address the user typed) or a full ws:// or wss:// URL in the tag.
export function websocketAddress() {
  const configured = readMeta("websocket") || ":8001";
  if (!configured.startsWith(":")) {
    return configured;
  }
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.hostname}${configured}/`;
}

// A page opened as http://localhost/ would hand out links that only work on
// this machine, so the server may tell us an origin other machines can reach.
function shareBase() {
  const inviteOrigin = readMeta("invite-origin");
  if (inviteOrigin === "") {
    return new URL(location.origin + location.pathname);
  }
  const base = new URL(inviteOrigin);
  if (base.pathname === "/") {
    base.pathname = location.pathname;
  }
  return base;
}

export function absoluteLink(parameter, key) {
  const url = shareBase();
  url.search = `?${new URLSearchParams({ [parameter]: key })}`;
  url.hash = "";
  return url.href;
}

// Names that reach this machine only, wherever a link holding them is opened.
// 0.0.0.0 is what servers print for "every interface", and people copy it.
function isLocalOnly(hostname) {
  return (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname) ||
    ["[::1]", "0.0.0.0", "[::]"].includes(hostname)
  );
}

// The links the page hands out: with no invite-origin from the server, they
// carry the page's own address, which may be this machine's alone.
export function localOnlyHost() {
  const hostname = shareBase().hostname;
  return isLocalOnly(hostname) ? hostname : null;
}

// Sharing the links: copying them, or the phone's share sheet.

const COPIED_FEEDBACK_MS = 2000;

function flashButtonLabel(button, label) {
  const original = button.dataset.label ?? button.textContent;
  button.dataset.label = original;
  button.textContent = label;
  clearTimeout(Number(button.dataset.timer));
  button.dataset.timer = String(
    setTimeout(() => {
      button.textContent = original;
    }, COPIED_FEEDBACK_MS),
  );
}

function selectContents(element) {
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.selectAllChildren(element);
}

// The clipboard API only exists in secure contexts, which a page opened over
// the LAN isn't; then select the link, so the user can copy it themselves.
export async function copyLink(linkElement, button) {
  try {
    await navigator.clipboard.writeText(linkElement.textContent);
    flashButtonLabel(button, "Copied!");
  } catch {
    selectContents(linkElement);
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
    flashButtonLabel(button, copied ? "Copied!" : "Selected, copy it");
  }
}

// Phones offer their share sheet: messages, mail, nearby devices.
export async function shareLink(page) {
  const inviting = page.elements.share.dataset.kind === "invite";
  try {
    await navigator.share({
      title: "Connect Four",
      text: inviting ? "Play Connect Four with me:" : "Watch our game of Connect Four:",
      url: page.elements.shareLink.textContent,
    });
  } catch {
    // The user closed the share sheet: nothing to say.
  }
}

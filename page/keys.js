// Keys the page listens to everywhere must leave alone the keys of the
// browser and of the controls that use them.

export function hasModifier(event) {
  return event.altKey || event.ctrlKey || event.metaKey;
}

export function isTypingInto(target) {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))
  );
}

// A match's stage as an Element Plus tag type: declined reads as stopped (red), new as not yet
// started (grey), contacted and every later stage as progress (green).
export const stageTagType = (stage) => (stage === 'declined' ? 'danger' : stage === 'new' ? 'info' : 'success')

/** A fleet's and a member's name go into Redis keys and into hold sources: keep them plain. */
export const FLEET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

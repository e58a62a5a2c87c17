/**
 * Checking a signed receipt (a compact JWS, EdDSA over Ed25519) in the browser, against the
 * server's published keys (/.well-known/jwks.json), with WebCrypto only.
 *
 * This is a courtesy for the participant reading the printable page: whoever relies on a receipt
 * checks it with their own tools (any JOSE library, or `widget-server verify-receipt`).
 */

/** @param {string} part base64url */
function bytesOf(part) {
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/**
 * The header and payload of a compact JWS, decoded (not checked).
 * @param {string} jws
 * @returns {{header: Record<string, any>, payload: Record<string, any>} | null} null: not a JWS
 */
export function decodeJws(jws) {
  const parts = jws.split(".");
  if (parts.length !== 3) return null;
  try {
    const text = (/** @type {string} */ part) => new TextDecoder().decode(bytesOf(part));
    const header = JSON.parse(text(parts[0]));
    const payload = JSON.parse(text(parts[1]));
    if (!header || typeof header !== "object" || !payload || typeof payload !== "object") return null;
    return { header, payload };
  } catch {
    return null;
  }
}

/**
 * Whether the JWS is signed by one of `keys` (a JWKS's `keys`).
 * @param {string} jws
 * @param {{kid?: string, kty?: string, crv?: string, x?: string}[]} keys
 * @returns {Promise<"valid" | "invalid" | "unknown_key" | "unsupported">} "unsupported": this
 *   browser has no Ed25519 in WebCrypto, so nothing was checked
 */
export async function verifyJws(jws, keys) {
  const decoded = decodeJws(jws);
  if (!decoded || decoded.header.alg !== "EdDSA") return "invalid";
  const jwk = keys.find((k) => k.kid === decoded.header.kid && k.kty === "OKP" && k.crv === "Ed25519");
  if (!jwk || !jwk.x) return "unknown_key";
  const [head, body, signature] = jws.split(".");
  let key;
  try {
    key = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" },
      false, ["verify"]);
  } catch {
    return "unsupported";
  }
  const signed = new TextEncoder().encode(`${head}.${body}`);
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, bytesOf(signature), signed);
  return ok ? "valid" : "invalid";
}

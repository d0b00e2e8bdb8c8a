import { isIPv4, isIPv6 } from "node:net";
import type { HttpEvent } from "./request";

/**
 * Who is calling, for throttles: API Gateway's `requestContext.http.sourceIp` (the TCP peer as API
 * Gateway saw it; never a client-supplied header such as X-Forwarded-For, which anyone can forge).
 * IPv4 as is; IPv6 as its /64, the block one subscriber is usually given (RFC 6177), so an attacker
 * cannot take a fresh address per guess from their own allocation.
 */
export function clientAddress(event: HttpEvent): string {
  return throttleKeyForAddress(event.requestContext?.http?.sourceIp ?? "");
}

export function throttleKeyForAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address)) return address;
  if (isIPv6(address)) return `${expandIPv6(address).slice(0, 4).join(":")}::/64`;
  return "unknown";
}

/** The eight hextets of an IPv6 address, without leading zeros ("2001:db8::1" → 2001,db8,0,0,0,0,0,1). */
function expandIPv6(address: string): string[] {
  const [head = "", tail = ""] = address.toLowerCase().split("%")[0]!.split("::");
  const left = head ? head.split(":") : [];
  const right = address.includes("::") ? (tail ? tail.split(":") : []) : [];
  const missing = 8 - left.length - right.length;
  return [...left, ...Array<string>(Math.max(0, missing)).fill("0"), ...right].map((part) => part.replace(/^0+(?=.)/, ""));
}

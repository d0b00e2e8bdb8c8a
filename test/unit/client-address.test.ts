import { describe, expect, it } from "vitest";
import { throttleKeyForAddress } from "../../lib/http/client-address";

describe("throttle key for a client address", () => {
  it("keeps an IPv4 address, also when it arrives IPv4-mapped", () => {
    expect(throttleKeyForAddress("203.0.113.7")).toBe("203.0.113.7");
    expect(throttleKeyForAddress("::ffff:203.0.113.7")).toBe("203.0.113.7");
  });

  it("takes an IPv6 address's /64, however it is written", () => {
    expect(throttleKeyForAddress("2001:db8:a:b:1:2:3:4")).toBe("2001:db8:a:b::/64");
    expect(throttleKeyForAddress("2001:0db8:000a:000b:ffff::1")).toBe("2001:db8:a:b::/64");
    expect(throttleKeyForAddress("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(throttleKeyForAddress("2001:DB8::")).toBe("2001:db8:0:0::/64");
  });

  it("puts anything else under one key rather than under none", () => {
    expect(throttleKeyForAddress("")).toBe("unknown");
    expect(throttleKeyForAddress("not an address")).toBe("unknown");
  });
});

import { describe, expect, it } from "vitest";
import { parseUploadKey, vaultKeys, vaultPrefix } from "../../lib/vaults/layout";

const user = "5d0f3c1e-8a1b-4c2d-9e3f-0a1b2c3d4e5f";
const upload = "0b9a8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d";

describe("vault layout", () => {
  it("puts everything of a user under users/{uuid}", () => {
    const keys = vaultKeys(vaultPrefix(user));

    expect(keys.manifest).toBe(`users/${user}/vault.json`);
    expect(keys.uploads).toBe(`users/${user}/uploads/`);
  });

  it("recognises an upload key and nothing else", () => {
    expect(parseUploadKey(`users/${user}/uploads/${upload}/conversations.json`)).toEqual({ userId: user, uploadId: upload, fileName: "conversations.json" });
    expect(parseUploadKey(`users/${user}/uploads/${upload}/nested/file.json`)).toBeUndefined();
    expect(parseUploadKey(`users/${user}/corpus/nodes.json`)).toBeUndefined();
    expect(parseUploadKey(`users/${user}/uploads/not-a-uuid/x.json`)).toBeUndefined();
    expect(parseUploadKey(`users/${user.toUpperCase()}/uploads/${upload}/x.json`)).toBeUndefined();
    expect(parseUploadKey(`prefix/users/${user}/uploads/${upload}/x.json`)).toBeUndefined();
  });
});

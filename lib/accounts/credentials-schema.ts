import { z } from "zod";

/** Sign-up and log-in bodies. E-mail checks are lenient on case and surrounding spaces, strict on shape. */
export const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email({ message: "Enter a valid e-mail address." })).pipe(z.string().max(254)),
  password: z.string({ message: "Enter a password." }).min(1, "Enter a password.").max(1000),
});

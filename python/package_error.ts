/** A package problem that stops start-up; the message names what is at fault. */
export class PackageError extends Error {
  override name = "PackageError";
}

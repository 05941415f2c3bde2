// The migrations are embedded with `embed_migrations!`, which cannot tell
// cargo that a new migration folder appeared; this makes cargo rebuild the
// crate whenever anything under migrations/ changes.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}

// `embed_migrations!` cannot tell cargo that a new migration folder
// appeared, so this script makes cargo rebuild the crate whenever anything
// under migrations/ changes.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}

fn main() {
    // Only the addon needs N-API link arguments; plain `cargo test` does not.
    if std::env::var_os("CARGO_FEATURE_NAPI_ADDON").is_some() {
        napi_build::setup();
    }
}

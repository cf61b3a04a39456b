//! The `kdg` binary: everything happens in [`kdg::app::main`].

fn main() -> std::process::ExitCode {
    kdg::app::main()
}

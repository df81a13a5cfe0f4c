fn main() -> std::process::ExitCode {
    hq_server::cli::main()
}

// The full method name of a gRPC handler, read off the function protoc-gen-go-grpc generates
// for it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace leakscan {

// "acme.dev/gen/orders/v1._OrderService_Refund_Handler" -> "/orders.v1.OrderService/Refund".
// The proto package is not in the binary's function names; it is taken from the Go package's
// path as buf and protoc lay it out: a version directory joins its parent ("orders/v1" ->
// "orders.v1"), else the last directory names it ("helloworld"). Anything but a generated
// handler gives nullopt.
std::optional<std::string> grpc_full_method(std::string_view function);

}  // namespace leakscan

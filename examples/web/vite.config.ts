import { defineConfig } from "vite";

// The app runs on its own origin (port 5173), apart from authql (8080), so
// CORS and the refresh cookie are really used.
export default defineConfig({
  server: { port: 5173, strictPort: true },
  preview: { port: 5173, strictPort: true },
});
